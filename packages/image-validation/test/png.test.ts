import { promises as fsp } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { inspect } from '../src';
import { apngProblem, idatWarning } from '../src/png-data';
import { actl, apng, fctl, fdat, idat, iend, ihdr, pngFile, scanlines, type Chunk } from './png-writer';
import { tmpDir, write } from './fixtures';

// PNG irregularities decoders read with a complaint: leftover IDAT data, broken APNG frame sequences.
const W = 12;
const H = 7;
const plain = () => pngFile([ihdr(W, H), idat(scanlines(W, H)), iend()]);

describe('IDAT leftovers', () => {
  it('a sound PNG, interlaced or not, has none', async () => {
    expect(await idatWarning(plain())).toBeUndefined();
    expect(await idatWarning(await sharp(scanlines(W, H).subarray(0, W * H * 3), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer())).toBeUndefined();
    expect(await idatWarning(await sharp({ create: { width: 33, height: 21, channels: 4, background: '#123456' } }).png({ progressive: true }).toBuffer())).toBeUndefined();
  });

  it('finds compressed data after the end of the zlib stream', async () => {
    const extra = deflateSync(Buffer.alloc(40, 9));
    const withExtra = pngFile([ihdr(W, H), ['IDAT', Buffer.concat([deflateSync(scanlines(W, H)), extra])], iend()]);
    expect(await idatWarning(withExtra)).toBe(`extra compressed data in IDAT: ${extra.length} bytes after the end of the image's zlib stream`);
  });

  it('finds more scanline data than the image needs, also split over several IDAT chunks', async () => {
    const z = deflateSync(scanlines(W, H + 2));
    const split = pngFile([ihdr(W, H), ['IDAT', z.subarray(0, 10)], ['IDAT', z.subarray(10)], iend()]);
    expect(await idatWarning(split)).toBe(`too much image data in IDAT: it inflates to ${(H + 2) * (1 + W * 3)} bytes, the ${W}x${H} image needs ${H * (1 + W * 3)}`);
  });
});

describe('APNG frame sequences', () => {
  it('a sound APNG and a plain PNG pass', () => {
    expect(apngProblem(apng(W, H))).toBeUndefined();
    expect(apngProblem(plain())).toBeUndefined();
  });

  const broken: [string, (c: Chunk[]) => Chunk[], string][] = [
    ['a sequence number skipped', (c) => c.map((k) => (k[0] === 'fdAT' ? fdat(3, scanlines(W - 2, H - 2)) : k)), 'fdAT chunk has sequence number 3, expected 2'],
    ['sequence numbers out of order', (c) => [c[0]!, c[1]!, fctl(1, W, H), c[3]!, fctl(0, W - 2, H - 2, 1, 1), c[5]!, c[6]!], 'fcTL chunk has sequence number 1, expected 0'],
    ['a frame without data', (c) => c.filter((k) => k[0] !== 'fdAT'), 'frame 1 has a frame control (fcTL) but no image data'],
    ['more frames than acTL declares', (c) => [c[0]!, actl(1), ...c.slice(2)], 'acTL declares 1 frames, the file has 2'],
    ['a frame outside the canvas', (c) => c.map((k) => (k[0] === 'fcTL' && k[1].readUInt32BE(0) === 1 ? fctl(1, W - 2, H - 2, 4, 4) : k)), `frame 1 (${W - 2}x${H - 2} at 4,4) does not fit the ${W}x${H} canvas`],
    ['frame data before any frame control', (c) => [c[0]!, c[1]!, c[3]!, fdat(0, scanlines(W, H)), iend()], 'frame data (fdAT) before any frame control (fcTL)'],
    ['frame data before the image data', (c) => [c[0]!, actl(1), fctl(0, W, H), fdat(1, scanlines(W, H)), c[3]!, iend()], 'frame data (fdAT) before the image data (IDAT)'],
  ];

  it.each(broken)('%s', (_name, edit, why) => {
    expect(apngProblem(apng(W, H, edit))).toBe(`broken APNG frame sequence: ${why}`);
  });

  it('frame chunks without acTL', () => {
    expect(apngProblem(pngFile([ihdr(W, H), idat(scanlines(W, H)), fctl(0, W, H), fdat(1, scanlines(W, H)), iend()]))).toBe(
      'APNG frame chunks (fcTL/fdAT) without an animation control chunk (acTL)',
    );
  });
});

describe('inspect', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tmpDir('png');
  });
  afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

  it('calls both decodes-with-warnings, with the reason, and sound ones ok', async () => {
    const extra = pngFile([ihdr(W, H), ['IDAT', Buffer.concat([deflateSync(scanlines(W, H)), deflateSync(Buffer.alloc(10))])], iend()]);
    const v1 = await inspect(await write(dir, 'extra.png', extra));
    expect(v1.category).toBe('decodes-with-warnings');
    expect(v1.reason).toMatch(/^decodes, but the decoder warns: extra compressed data in IDAT: \d+ bytes after the end/);
    const v2 = await inspect(await write(dir, 'broken.png', apng(W, H, (c) => c.filter((k) => k[0] !== 'fdAT'))));
    expect(v2).toMatchObject({ category: 'decodes-with-warnings', reason: 'decodes, but the decoder warns: broken APNG frame sequence: frame 1 has a frame control (fcTL) but no image data' });
    expect((await inspect(await write(dir, 'sound.png', apng(W, H)))).category).toBe('ok');
    expect((await inspect(await write(dir, 'plain.png', plain()))).category).toBe('ok');
    // The decode policy (identify-like) reports them too.
    expect((await inspect(await write(dir, 'extra2.png', extra), { policy: 'decode' })).category).toBe('decodes-with-warnings');
  });

  it('a PNG with leftovers under a .jpg name is a format-mismatch first', async () => {
    const extra = pngFile([ihdr(W, H), ['IDAT', Buffer.concat([deflateSync(scanlines(W, H)), Buffer.from('junk')])], iend()]);
    expect((await inspect(await write(dir, 'extra.jpg', extra))).category).toBe('format-mismatch');
  });
});
