import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { inspect, ValidationError } from '../src';
import * as fx from './fixtures';

let dir: string;
beforeAll(async () => {
  dir = await fx.tmpDir('inspect');
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

const at = async (name: string, data: Buffer | string) => fx.write(dir, name, data);

describe('inspect under the strict policy', () => {
  test('a clean JPEG is ok, with its facts', async () => {
    const v = await inspect(await at('ok.jpg', await fx.jpeg({ w: 120, h: 90 })));
    expect(v.category).toBe('ok');
    expect(v.flagged).toBe(false);
    expect(v.facts).toMatchObject({ format: 'jpeg', width: 120, height: 90, channels: 3, space: 'srgb', jfif: true, exif: false });
    expect(v.facts.bytes).toBeGreaterThan(500);
  });

  test('progressive, greyscale, CMYK and Exif-only JPEGs are ok and say what they are', async () => {
    const prog = await inspect(await at('prog.jpg', await fx.jpeg({ progressive: true })));
    expect(prog).toMatchObject({ category: 'ok', facts: { progressive: true } });
    const grey = await inspect(await at('grey.jpg', await fx.greyJpeg()));
    expect(grey).toMatchObject({ category: 'ok', facts: { channels: 1, space: 'b-w' } });
    const cmyk = await inspect(await at('cmyk.jpg', await fx.cmykJpeg()));
    expect(cmyk).toMatchObject({ category: 'ok', facts: { channels: 4, space: 'cmyk', jfif: false } });
    const exif = await inspect(await at('exif.jpg', await fx.exifOnlyJpeg()));
    expect(exif).toMatchObject({ category: 'ok', facts: { jfif: false, exif: true } });
  });

  test('PNG, GIF and BMP under their own names are ok (BMP through the decoder of src/bmp-decode.ts)', async () => {
    expect((await inspect(await at('a.png', await fx.png()))).category).toBe('ok');
    expect((await inspect(await at('a.gif', await fx.gif()))).category).toBe('ok');
    const b = await inspect(await at('a.bmp', fx.bmp(40, 30)));
    expect(b).toMatchObject({ category: 'ok', facts: { format: 'bmp', width: 40, height: 30 } });
  });

  test.each([
    ['empty.jpg', () => Buffer.alloc(0), /empty file/],
    ['page.jpg', fx.html, /HTML/],
    ['noise.jpg', () => fx.randomBytes(), /unrecognised/],
    ['Thumbs.db', fx.thumbsDb, /Thumbs\.db/],
    ['notes.txt', () => Buffer.from('just some text\n'), /text/],
  ])('%s is not-an-image', async (name, make, reason) => {
    const v = await inspect(await at(name, await make()));
    expect(v.category).toBe('not-an-image');
    expect(v.flagged).toBe(true);
    expect(v.reason).toMatch(reason);
  });

  test('a folder or a dangling symlink with an image name is not-an-image', async () => {
    await fsp.mkdir(path.join(dir, 'folder.jpg'));
    expect((await inspect(path.join(dir, 'folder.jpg'))).reason).toMatch(/directory/);
    await fsp.symlink(path.join(dir, 'gone.jpg'), path.join(dir, 'link.jpg'));
    const v = await inspect(path.join(dir, 'link.jpg'));
    expect(v).toMatchObject({ category: 'not-an-image', flagged: true });
    expect(v.reason).toMatch(/dangling/);
  });

  test('a truncated JPEG is damaged', async () => {
    const v = await inspect(await at('trunc.jpg', await fx.truncatedJpeg()));
    expect(v.category).toBe('damaged');
    expect(v.reason).toMatch(/premature end/i);
  });

  test('a truncated PNG and a truncated BMP are damaged', async () => {
    const p = await fx.png();
    expect((await inspect(await at('trunc.png', p.subarray(0, p.length - 40)))).category).toBe('damaged');
    const b = fx.bmp(40, 30);
    expect((await inspect(await at('trunc.bmp', b.subarray(0, 200)))).category).toBe('damaged');
  });

  test('coded data overwritten mid-scan is flagged', async () => {
    const j = Buffer.from(await fx.jpeg({ w: 200, h: 150 }));
    const mid = Math.floor(j.length / 2);
    for (let i = mid; i < mid + 64; i++) j[i] = 0xa5;
    const v = await inspect(await at('corrupt.jpg', j));
    expect(v.flagged).toBe(true);
    expect(['damaged', 'decodes-with-warnings']).toContain(v.category);
  });

  test('junk before the end marker decodes with warnings, counted like libjpeg', async () => {
    const v = await inspect(await at('extra.jpg', await fx.extraneousJpeg(37)));
    expect(v.category).toBe('decodes-with-warnings');
    expect(v.reason).toMatch(/Corrupt JPEG data: 37 extraneous bytes before marker 0xd9/);
  });

  test.each([
    ['png.jpg', fx.png, /PNG data under a \.jpg name/],
    ['gif.jpg', fx.gif, /GIF data under a \.jpg name/],
    ['bmp.jpg', async () => fx.bmp(), /BMP data under a \.jpg name/],
    ['webp.jpg', fx.webp, /WebP data under a \.jpg name, and TensorFlow/],
    ['photo.dat', () => fx.jpeg(), /Keras skips it/],
  ])('%s is a format-mismatch', async (name, make, reason) => {
    const v = await inspect(await at(name, await make()));
    expect(v.category).toBe('format-mismatch');
    expect(v.reason).toMatch(reason);
  });

  test('WebP and TIFF under their own names are unsupported', async () => {
    expect((await inspect(await at('a.webp', await fx.webp()))).category).toBe('unsupported');
    const t = await inspect(await at('a.tiff', await fx.tiff()));
    expect(t.category).toBe('unsupported');
    expect(t.reason).toMatch(/JPEG, PNG, GIF and BMP/);
  });

  test('a header claiming a gigantic size is too-large, and the limit is adjustable', async () => {
    const file = await at('bomb.jpg', await fx.claimsSize(60000, 60000));
    const v = await inspect(file);
    expect(v.category).toBe('too-large');
    expect(v.reason).toMatch(/60000x60000/);
    expect(v.facts).toMatchObject({ width: 60000, height: 60000 });
    const small = await at('small.jpg', await fx.jpeg({ w: 120, h: 90 }));
    expect((await inspect(small, { maxPixels: 120 * 90 - 1 })).category).toBe('too-large');
    expect((await inspect(small, { maxPixels: 120 * 90 })).category).toBe('ok');
  });

  test('a missing path throws ValidationError not-found', async () => {
    await expect(inspect(path.join(dir, 'nope.jpg'))).rejects.toMatchObject({ code: 'not-found' });
    await expect(inspect(path.join(dir, 'nope.jpg'))).rejects.toBeInstanceOf(ValidationError);
  });
});
