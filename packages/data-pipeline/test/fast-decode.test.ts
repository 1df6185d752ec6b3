import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { openDataset } from '../src/dataset';
import { decodeRgb, decodeRgbBuffer, decodeWithSharp, describeDecode, imageReadMode, readImageFile } from '../src/decode';
import { DataPipelineError } from '../src/errors';
import { jpegShrinkFor, readJpegHeader } from '../src/jpeg-scale';
import { cropWindowForAspect, resizeImage } from '../src/resize';
import { decodeJpegTurbo, turboJpeg } from '../src/turbojpeg';
import { decodeJpegShrunk } from '../src/vips-jpeg';
import { bmp24, rgbImage, tempDir } from './fixtures';

/** A smooth picture (gradients and a disc), so a reduced-scale decode stays close to the full one. */
function smooth(w: number, h: number): Uint8Array {
  return rgbImage(w, h, (x, y) => {
    const inDisc = Math.hypot(x - w / 2, y - h / 2) < Math.min(w, h) / 4;
    return inDisc ? [230, 200, 40] : [Math.round((x / w) * 200), Math.round((y / h) * 180), 90];
  });
}
const raw = (w: number, h: number) => sharp(Buffer.from(smooth(w, h)), { raw: { width: w, height: h, channels: 3 } });
const jpeg = (w: number, h: number) => raw(w, h).jpeg({ quality: 92 }).toBuffer();
const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

const T = { width: 24, height: 20 };

describe('jpegShrinkFor', () => {
  it('picks the smallest scale whose floor-rounded size is still >= the target, for every size', () => {
    for (let w = 1; w <= 400; w += 7) {
      for (let h = 1; h <= 400; h += 11) {
        for (const [tw, th] of [[24, 20], [180, 180], [7, 90]] as const) {
          const s = jpegShrinkFor(w, h, tw, th);
          expect([1, 2, 4, 8]).toContain(s);
          if (s > 1) {
            expect(Math.floor(w / s)).toBeGreaterThanOrEqual(tw);
            expect(Math.floor(h / s)).toBeGreaterThanOrEqual(th);
          }
          const bigger = s * 2;
          if (bigger <= 8) expect(Math.floor(w / bigger) >= tw && Math.floor(h / bigger) >= th).toBe(false);
        }
      }
    }
    // libvips rounds down: 359 rows at 1/2 would be 179 < 180.
    expect(jpegShrinkFor(500, 359, 180, 180)).toBe(1);
    expect(jpegShrinkFor(500, 360, 180, 180)).toBe(2);
    expect(jpegShrinkFor(500, 375, 180, 180)).toBe(2);
    expect(jpegShrinkFor(1000, 750, 180, 180)).toBe(4);
  });

  it('with crop_to_aspect_ratio, tests the window cut from the shrunk image', () => {
    for (let w = 20; w <= 600; w += 13) {
      for (let h = 20; h <= 600; h += 17) {
        const win = (sw: number, sh: number) => cropWindowForAspect(sw, sh, 30, 50);
        const s = jpegShrinkFor(w, h, 50, 30, win);
        if (s > 1) {
          const cut = win(Math.floor(w / s), Math.floor(h / s));
          expect(cut.width).toBeGreaterThanOrEqual(50);
          expect(cut.height).toBeGreaterThanOrEqual(30);
        }
      }
    }
  });
});

describe('readJpegHeader', () => {
  it('reads the frame size past APP segments and refuses other formats', async () => {
    const j = await jpeg(33, 21);
    expect(readJpegHeader(j)).toEqual({ width: 33, height: 21, components: 3, icc: false });
    const tagged = await raw(33, 21).withIccProfile('p3').jpeg().toBuffer();
    expect(readJpegHeader(tagged)).toEqual({ width: 33, height: 21, components: 3, icc: true });
    const png = await raw(33, 21).png().toBuffer();
    expect(readJpegHeader(png)).toBeUndefined();
    expect(readJpegHeader(j.subarray(0, 20))).toBeUndefined();
  });
});

describe('decode: fast', () => {
  it.each([
    [24, 20, 1],
    [47, 45, 1], // floor(47 / 2) = 23 < 24
    [48, 40, 2],
    [100, 90, 4],
    [200, 170, 8],
    [600, 420, 8],
  ])('a %ix%i JPEG for a 24x20 target decodes at 1/%i, never below the target, close to the exact pixels', async (w, h, shrink) => {
    const buf = await jpeg(w, h);
    const fast = await decodeRgbBuffer(buf, { mode: 'fast', target: T });
    expect(fast.shrink).toBe(shrink);
    expect(fast.width).toBe(Math.floor(w / shrink));
    expect(fast.height).toBe(Math.floor(h / shrink));
    expect(fast.width).toBeGreaterThanOrEqual(T.width);
    expect(fast.height).toBeGreaterThanOrEqual(T.height);
    expect(fast.channels).toBe(3);
    expect(fast.data).toHaveLength(fast.width * fast.height * 3);
    const exact = await decodeRgbBuffer(buf);
    expect(exact.shrink).toBe(1);
    const a = resizeImage(fast, T.height, T.width, 'bilinear');
    const b = resizeImage(exact, T.height, T.width, 'bilinear');
    if (shrink === 1) expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    else expect(meanAbsDiff(a, b)).toBeLessThan(6);
  });

  it('leaves PNG, GIF, BMP and WebP to the exact decoder, pixel for pixel', async () => {
    const w = 200;
    const h = 170;
    const inputs: Record<string, Buffer> = {
      png: await raw(w, h).png().toBuffer(),
      gif: await raw(w, h).gif().toBuffer(),
      webp: await raw(w, h).webp({ quality: 90 }).toBuffer(),
      bmp: bmp24(w, h, (x, y) => [x % 256, y % 256, 77]),
    };
    for (const [kind, buf] of Object.entries(inputs)) {
      const fast = await decodeRgbBuffer(buf, { mode: 'fast', target: T });
      const exact = await decodeRgbBuffer(buf);
      expect([kind, fast.shrink, fast.width, fast.height]).toEqual([kind, 1, w, h]);
      expect(Buffer.from(fast.data).equals(Buffer.from(exact.data))).toBe(true);
    }
  });

  it('spreads a greyscale JPEG to 3 channels and converts CMYK and embedded profiles as sharp does, at reduced scale', async () => {
    const grey = await raw(100, 90).toColourspace('b-w').jpeg({ quality: 92 }).toBuffer();
    const cmyk = await raw(100, 90).toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer();
    const p3 = await raw(100, 90).withIccProfile('p3').jpeg({ quality: 92 }).toBuffer();
    expect(readJpegHeader(grey)!.components).toBe(1);
    expect(readJpegHeader(cmyk)!.components).toBe(4);
    expect((await sharp(p3).metadata()).icc).toBeDefined();
    // A solid CMYK colour: the same sRGB value on both paths (a different profile or intent moves it by tens).
    const solid = await sharp({ create: { width: 100, height: 90, channels: 3, background: { r: 200, g: 60, b: 30 } } })
      .toColourspace('cmyk').jpeg().toBuffer();
    const [sf, se] = [await decodeRgbBuffer(solid, { mode: 'fast', target: T }), await decodeRgbBuffer(solid)];
    expect([...sf.data.subarray(300, 303)].map((v, k) => Math.abs(v - se.data[300 + k]!) <= 2)).toEqual([true, true, true]);
    for (const buf of [grey, cmyk, p3]) {
      const fast = await decodeRgbBuffer(buf, { mode: 'fast', target: T });
      expect([fast.shrink, fast.width, fast.height, fast.channels]).toEqual([4, 25, 22, 3]);
      const exact = await decodeRgbBuffer(buf);
      const diff = meanAbsDiff(resizeImage(fast, T.height, T.width, 'bilinear'), resizeImage(exact, T.height, T.width, 'bilinear'));
      expect(diff).toBeLessThan(6);
    }
    // At full scale the fast path (libvips through koffi) gives exactly sharp's pixels.
    for (const buf of [grey, cmyk, p3]) {
      const full = await decodeRgbBuffer(buf, { mode: 'fast', target: { width: 90, height: 80 } });
      expect(full.shrink).toBe(1);
      expect(Buffer.from(full.data).equals(Buffer.from((await decodeRgbBuffer(buf)).data))).toBe(true);
    }
    const g = await decodeRgbBuffer(grey, { mode: 'fast', target: T });
    for (let i = 0; i < g.data.length; i += 3) expect(g.data[i]).toBe(g.data[i + 2]);
  });

  it('ignores the EXIF orientation like the exact path (a 90-degree tag does not swap the axes)', async () => {
    const rotated = await raw(100, 44).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const fast = await decodeRgbBuffer(rotated, { mode: 'fast', target: { width: 20, height: 20 } });
    expect([fast.shrink, fast.width, fast.height]).toEqual([2, 50, 22]);
    const exact = await decodeRgbBuffer(rotated);
    expect([exact.width, exact.height]).toEqual([100, 44]);
  });

  it('refuses a truncated JPEG as the exact path does', async () => {
    const buf = await jpeg(200, 170);
    const cut = buf.subarray(0, Math.floor(buf.length * 0.6));
    await expect(decodeRgbBuffer(cut)).rejects.toThrow();
    await expect(decodeRgbBuffer(cut, { mode: 'fast', target: T })).rejects.toThrow();
  });
});

describe('openDataset({ decode: "fast" })', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir();
    // Class a: JPEGs of several sizes; class b: PNGs, a greyscale and a CMYK JPEG.
    const write = async (rel: string, buf: Buffer) => {
      await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), buf);
    };
    const sizes = [[100, 90], [48, 40], [24, 20], [200, 170], [60, 61]] as const;
    for (const [i, [w, h]] of sizes.entries()) await write(`a/${i}.jpg`, await jpeg(w, h));
    for (let i = 0; i < 3; i++) await write(`b/${i}.png`, await raw(90 + i, 80).png().toBuffer());
    await write('b/grey.jpg', await raw(100, 90).toColourspace('b-w').jpeg().toBuffer());
    await write('b/cmyk.jpg', await raw(100, 90).toColourspace('cmyk').jpeg().toBuffer());
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  const open = (decode: 'exact' | 'fast') =>
    openDataset({ dataDir: root, imageSize: [T.height, T.width], batchSize: 4, seed: 7, validate: false, log: false, cache: false, decode });

  it('yields the same files, labels and shapes as exact decoding, and counts the shrunk decodes', async () => {
    const [fast, exact] = [await open('fast'), await open('exact')];
    for (let i = 0; i < exact.numBatches; i++) {
      const [f, e] = [await fast.batch(0, i), await exact.batch(0, i)];
      expect(f.paths).toEqual(e.paths);
      expect(f.labels).toEqual(e.labels);
      expect(f.shape).toEqual(e.shape);
      expect(f.skipped).toEqual([]);
      expect(meanAbsDiff(f.images, e.images)).toBeLessThan(8);
    }
    // 100x90 -> 4, 48x40 -> 2, 200x170 -> 8, 60x61 -> 2, grey and CMYK 100x90 -> 4; PNGs and 24x20 untouched.
    expect(fast.stats().shrunk).toEqual({ 2: 2, 4: 3, 8: 1 });
    expect(exact.stats().shrunk).toEqual({});
  });

  it('refuses an unknown decode mode with bad-argument', async () => {
    await expect(
      openDataset({ dataDir: root, imageSize: [4, 4], validate: false, log: false, decode: 'quick' as 'fast' }),
    ).rejects.toThrow(DataPipelineError);
  });

  it('decodes from a file path too', async () => {
    const d = await decodeRgb(path.join(root, 'a/0.jpg'), { mode: 'fast', target: T });
    expect([d.shrink, d.width, d.height]).toEqual([4, 25, 22]);
  });
});

// TurboJPEG is the fast path's first choice; .ci/run installs it (Debian: libturbojpeg0).
const tj = turboJpeg();
if ('unavailable' in tj) console.log(`skipped: TurboJPEG decoder tests (${tj.unavailable})`);
const describeTj = 'file' in tj ? describe : describe.skip;

it('describeDecode names the JPEG decoder of each mode here, and how to get TurboJPEG without it', () => {
  for (const mode of ['exact', 'fast'] as const) {
    expect(describeDecode(mode)).toMatch('file' in tj ? new RegExp(`^${mode} \\(JPEGs: TurboJPEG, \\S*turbojpeg`) : new RegExp(`^${mode} \\((sharp|libvips): .*(TurboJPEG|libturbojpeg)`));
  }
  expect(describeDecode()).toBe(describeDecode('exact'));
});

/** A photo-like 500x375 JPEG: smooth shapes plus fine noise, so the entropy data is not trivial. */
function photo(seed: number, w = 500, h = 375): Uint8Array {
  let x = seed >>> 0 || 1;
  const noise = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24) % 24;
  return rgbImage(w, h, (i, j) => {
    const d = Math.hypot(i - w * 0.4, j - h * 0.6) < h / 3;
    return [(d ? 200 : (i * 255) / w) + noise(), (d ? 120 : (j * 200) / h) + noise(), 60 + noise()].map((v) => Math.min(255, v | 0)) as [number, number, number];
  });
}
const photoJpeg = (seed: number, opts: { w?: number; h?: number; progressive?: boolean; subsampling?: string } = {}) => {
  const w = opts.w ?? 500;
  const h = opts.h ?? 375;
  return sharp(Buffer.from(photo(seed, w, h)), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 85, progressive: opts.progressive ?? false, chromaSubsampling: opts.subsampling ?? '4:2:0' })
    .toBuffer();
};
const settle = (p: Promise<{ data: Uint8Array; width: number; height: number }>) =>
  p.then((r) => ({ ok: true as const, r }), (e: Error) => ({ ok: false as const, why: e.message }));

describeTj('decode: fast, TurboJPEG against libvips', () => {
  it('gives libvips\' pixels, byte for byte, at every scale, subsampling, odd size and progressive', async () => {
    const cases = [
      { w: 500, h: 375 }, { w: 375, h: 500 }, { w: 333, h: 251 }, { w: 17, h: 9 }, { w: 500, h: 375, progressive: true },
      { w: 499, h: 373, subsampling: '4:4:4' }, { w: 1001, h: 767 },
    ];
    let k = 0;
    for (const c of cases) {
      const buf = await photoJpeg(++k, c);
      for (const shrink of [1, 2, 4, 8]) {
        const a = await decodeJpegTurbo(buf, shrink);
        const b = await decodeJpegShrunk(buf, shrink);
        expect([JSON.stringify(c), shrink, a.width, a.height]).toEqual([JSON.stringify(c), shrink, b.width, b.height]);
        expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
      }
    }
  });

  it('greyscale too; CMYK and profile-tagged JPEGs are left to libvips by the router', async () => {
    const grey = await raw(100, 90).toColourspace('b-w').jpeg({ quality: 92 }).toBuffer();
    const [a, b] = [await decodeJpegTurbo(grey, 2), await decodeJpegShrunk(grey, 2)];
    expect((await decodeRgbBuffer(grey, { mode: 'fast', target: T })).decoder).toBe('turbojpeg');
    expect((await decodeRgbBuffer(await photoJpeg(3), { mode: 'fast', target: T })).decoder).toBe('turbojpeg');
    expect((await decodeRgbBuffer(await photoJpeg(3))).decoder).toBe('turbojpeg'); // exact too, at full scale
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    // Routed by readJpegHeader: a profile or 4 components never reach TurboJPEG, whose RGB output
    // would skip the colour management (decodeRgbBuffer's result equals libvips' there).
    for (const buf of [await raw(100, 90).withIccProfile('p3').jpeg().toBuffer(), await raw(100, 90).toColourspace('cmyk').jpeg().toBuffer()]) {
      const viaRouter = await decodeRgbBuffer(buf, { mode: 'fast', target: T });
      expect(viaRouter.decoder).toBe('libvips');
      const vips = await decodeJpegShrunk(buf, viaRouter.shrink);
      expect(Buffer.from(viaRouter.data).equals(Buffer.from(vips.data))).toBe(true);
    }
  });

  it('accepts and refuses the same broken files as libvips (truncations, flipped bytes, extraneous bytes, no EOI), with the same pixels when accepted', async () => {
    const base = await photoJpeg(7);
    const progressive = await photoJpeg(8, { progressive: true });
    const variants: Array<[string, Buffer]> = [];
    for (const src of [base, progressive]) {
      const tag = src === base ? 'baseline' : 'progressive';
      for (let pct = 5; pct < 100; pct += 9) variants.push([`${tag} cut at ${pct}%`, src.subarray(0, Math.floor((src.length * pct) / 100))]);
      variants.push([`${tag} no EOI`, src.subarray(0, src.length - 2)]);
      variants.push([`${tag} garbage after EOI`, Buffer.concat([src, Buffer.from('trailing bytes')])]);
      variants.push([`${tag} extraneous bytes before EOI`, Buffer.concat([src.subarray(0, src.length - 2), Buffer.from([1, 2, 3]), src.subarray(src.length - 2)])]);
      let x = 99;
      for (let n = 0; n < 12; n++) {
        const b = Buffer.from(src);
        x = (x * 1103515245 + 12345) >>> 0;
        const at = Math.floor(src.length * 0.2) + (x % Math.floor(src.length * 0.75));
        b[at] = b[at]! ^ 0x5a;
        variants.push([`${tag} byte ${at} flipped`, b]);
      }
    }
    let refused = 0;
    for (const [name, buf] of variants) {
      const a = await settle(decodeJpegTurbo(buf, 2));
      const b = await settle(decodeJpegShrunk(buf, 2));
      expect([name, a.ok]).toEqual([name, b.ok]);
      if (a.ok && b.ok) expect([name, Buffer.from(a.r.data).equals(Buffer.from(b.r.data))]).toEqual([name, true]);
      if (!a.ok) refused++;
    }
    // The mutations exercise both outcomes: truncations refused, harmless damage decoded through.
    expect(refused).toBeGreaterThan(10);
    expect(refused).toBeLessThan(variants.length - 10);
  });

  it('exact mode: TurboJPEG at full scale gives sharp\'s pixels byte for byte (plain JPEGs); the rest stays on sharp', async () => {
    const cases = [{ w: 500, h: 375 }, { w: 375, h: 500 }, { w: 333, h: 251 }, { w: 17, h: 9 }, { w: 500, h: 375, progressive: true }, { w: 499, h: 373, subsampling: '4:4:4' }];
    let k = 40;
    for (const c of cases) {
      const buf = await photoJpeg(++k, c);
      const viaTj = await decodeRgbBuffer(buf);
      expect(viaTj.decoder).toBe('turbojpeg');
      const viaSharp = await decodeWithSharp(buf);
      expect([viaTj.width, viaTj.height]).toEqual([viaSharp.width, viaSharp.height]);
      expect(Buffer.from(viaTj.data).equals(Buffer.from(viaSharp.data))).toBe(true);
    }
    const grey = await raw(100, 90).toColourspace('b-w').jpeg({ quality: 92 }).toBuffer();
    expect(Buffer.from((await decodeRgbBuffer(grey)).data).equals(Buffer.from((await decodeWithSharp(grey)).data))).toBe(true);
    for (const other of [await raw(100, 90).toColourspace('cmyk').jpeg().toBuffer(), await raw(100, 90).withIccProfile('p3').jpeg().toBuffer(), await raw(50, 40).png().toBuffer()]) {
      expect((await decodeRgbBuffer(other)).decoder).toBe('sharp');
    }
    // A truncated JPEG is refused in exact mode too.
    const cut = (await photoJpeg(9)).subarray(0, 9000);
    await expect(decodeRgbBuffer(cut)).rejects.toThrow(/Premature end of JPEG file/);
  });

  it('decodes concurrently on several handles without mixing images up', async () => {
    const bufs = await Promise.all([1, 2, 3, 4, 5, 6].map((k) => photoJpeg(20 + k, { w: 300 + k * 10, h: 200 + k * 7 })));
    const one = await Promise.all(bufs.map((b) => decodeJpegShrunk(b, 2)));
    for (let round = 0; round < 3; round++) {
      const many = await Promise.all(bufs.map((b) => decodeJpegTurbo(b, 2)));
      many.forEach((m, k) => expect(Buffer.from(m.data).equals(Buffer.from(one[k]!.data))).toBe(true));
    }
  });
});

describe('readImageFile', () => {
  it('reads synchronously while reads are fast, and switches to asynchronous reads for good after three slow ones', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a.jpg');
    const bytes = await jpeg(40, 30);
    await fs.writeFile(file, bytes);
    expect(imageReadMode()).toBe(process.env['PAWPIPE_ASYNC_READS'] ? 'async' : 'sync');
    expect((await readImageFile(file)).equals(bytes)).toBe(true);
    await expect(readImageFile(path.join(dir, 'missing.jpg'))).rejects.toThrow(/ENOENT/); // a rejection, not a throw
    if (!process.env['PAWPIPE_ASYNC_READS']) {
      // A budget no read can meet: each read counts as slow.
      await readImageFile(file, -1);
      await readImageFile(file, -1);
      expect(imageReadMode()).toBe('sync');
      await readImageFile(file, -1);
      expect(imageReadMode()).toBe('async');
    }
    expect((await readImageFile(file)).equals(bytes)).toBe(true);
    await expect(readImageFile(path.join(dir, 'missing.jpg'))).rejects.toThrow(/ENOENT/);
    expect((await decodeRgb(file)).width).toBe(40);
  });
});
