import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { decodeBmp } from '../src/bmp-decode';
import { inspect, ValidationError } from '../src';
import { paletteOf, writeBmp, type BmpSpec, type Rgb } from './bmp-writer';
import { tmpDir, write } from './fixtures';

// Every BMP variant ImageMagick reads, written byte by byte in the test, decoded to the pixels drawn.
const W = 11;
const H = 5;
const pal = (n: number) => paletteOf(n);
const index = (n: number) => (x: number, y: number) => (x * 3 + y * 5) % n;
const rgb = (x: number, y: number): Rgb => [x * 23, y * 50, 255 - x * 7];

/** 5-bit and 6-bit channel values and what they scale to (bit replication: 10000 -> 10000100). */
const five: [number, number][] = [[0, 0], [31, 255], [16, 132], [1, 8]];
const six: [number, number][] = [[0, 0], [63, 255], [32, 130]];
const pick = <T>(list: T[], x: number, y: number): T => list[(x + y) % list.length]!;

interface Variant {
  name: string;
  spec: BmpSpec;
  expected: (x: number, y: number) => Rgb;
}

const paletted = (name: string, header: number, bpp: number, n = 1 << bpp): Variant => {
  const p = pal(n);
  return { name, spec: { header, width: W, height: H, bpp, palette: p, pixel: index(n) }, expected: (x, y) => p[index(n)(x, y)]! };
};

const VARIANTS: Variant[] = [
  paletted('OS/2 1.x, 1-bit', 12, 1),
  paletted('OS/2 1.x, 4-bit', 12, 4),
  paletted('OS/2 1.x, 8-bit', 12, 8),
  { name: 'OS/2 1.x, 24-bit', spec: { header: 12, width: W, height: H, bpp: 24, pixel: rgb }, expected: rgb },
  paletted('OS/2 2.x 16-byte header, 8-bit', 16, 8),
  paletted('OS/2 2.x 64-byte header, 4-bit', 64, 4),
  { name: 'OS/2 2.x 64-byte header, 24-bit', spec: { header: 64, width: W, height: H, bpp: 24, pixel: rgb }, expected: rgb },
  paletted('1-bit with an unusual 44-byte header', 44, 1),
  paletted('Windows 1-bit', 40, 1),
  paletted('Windows 2-bit', 40, 2),
  paletted('Windows 4-bit', 40, 4),
  paletted('Windows 8-bit', 40, 8),
  paletted('Windows 8-bit with a 20-colour palette', 40, 8, 20),
  { name: 'Windows 24-bit', spec: { header: 40, width: W, height: H, bpp: 24, pixel: rgb }, expected: rgb },
  { name: 'Windows 24-bit, top-down', spec: { header: 40, width: W, height: H, bpp: 24, pixel: rgb, topDown: true }, expected: rgb },
  {
    name: 'Windows 16-bit, default 5-5-5',
    spec: { header: 40, width: W, height: H, bpp: 16, pixel: (x, y) => (pick(five, x, y)[0] << 10) | (pick(five, x + 1, y)[0] << 5) | pick(five, x + 2, y)[0] },
    expected: (x, y) => [pick(five, x, y)[1], pick(five, x + 1, y)[1], pick(five, x + 2, y)[1]],
  },
  {
    name: 'Windows 16-bit BITFIELDS 5-6-5',
    spec: { header: 40, width: W, height: H, bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], pixel: (x, y) => (pick(five, x, y)[0] << 11) | (pick(six, x, y)[0] << 5) | pick(five, x + 1, y)[0] },
    expected: (x, y) => [pick(five, x, y)[1], pick(six, x, y)[1], pick(five, x + 1, y)[1]],
  },
  {
    name: 'Windows 32-bit, default BGRX',
    spec: { header: 40, width: W, height: H, bpp: 32, pixel: (x, y) => { const [r, g, b] = rgb(x, y); return (0x7f << 24) | (r << 16) | (g << 8) | b; } },
    expected: rgb,
  },
  {
    name: 'Windows 32-bit BITFIELDS, RGBX order',
    spec: { header: 40, width: W, height: H, bpp: 32, compression: 3, masks: [0xff, 0xff00, 0xff0000], pixel: (x, y) => { const [r, g, b] = rgb(x, y); return (b << 16) | (g << 8) | r; } },
    expected: rgb,
  },
  {
    name: 'Windows 32-bit ALPHABITFIELDS',
    spec: { header: 40, width: W, height: H, bpp: 32, compression: 6, masks: [0xff0000, 0xff00, 0xff, 0xff000000], pixel: (x, y) => { const [r, g, b] = rgb(x, y); return (0x80 << 24) | (r << 16) | (g << 8) | b; } },
    expected: rgb,
  },
  {
    name: 'V4 header, 32-bit BITFIELDS with alpha',
    spec: { header: 108, width: W, height: H, bpp: 32, compression: 3, masks: [0xff0000, 0xff00, 0xff, 0xff000000], pixel: (x, y) => { const [r, g, b] = rgb(x, y); return (0x10 << 24) | (r << 16) | (g << 8) | b; } },
    expected: rgb,
  },
  {
    name: 'V5 header, 16-bit BITFIELDS 4-4-4-4',
    spec: { header: 124, width: W, height: H, bpp: 16, compression: 3, masks: [0x0f00, 0x00f0, 0x000f, 0xf000], pixel: (x, y) => 0xf000 | ((x & 15) << 8) | ((y & 15) << 4) | 15 },
    expected: (x, y) => [(x & 15) * 17, (y & 15) * 17, 255],
  },
];

// RLE: 8 pixels wide, 3 rows, bottom-up. Row 0 (bottom): run of 5 x index 7, literal [1, 2, 3];
// row 1: move right 2 and up 1 (leaving row 1 at index 0 and row 2's first two pixels), then run.
const RLE8 = [5, 7, 0, 3, 1, 2, 3, 0, 0, 0, 0, 2, 2, 1, 6, 9, 0, 1];
const RLE8_ROWS = [[0, 0, 9, 9, 9, 9, 9, 9], [0, 0, 0, 0, 0, 0, 0, 0], [7, 7, 7, 7, 7, 1, 2, 3]]; // top row first
// RLE4: row 0: run of 5 alternating 0xA / 0xB, literal of 3 nibbles [1, 2, 3]; row 1: run of 8 x 4; row 2: end.
const RLE4 = [5, 0xab, 0, 3, 0x12, 0x30, 0, 0, 8, 0x44, 0, 1];
const RLE4_ROWS = [[0, 0, 0, 0, 0, 0, 0, 0], [4, 4, 4, 4, 4, 4, 4, 4], [10, 11, 10, 11, 10, 1, 2, 3]];

function expectPixels(data: Uint8Array, w: number, h: number, expected: (x: number, y: number) => Rgb): void {
  const want = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) want.set(expected(x, y), (y * w + x) * 3);
  expect(Buffer.from(data).equals(Buffer.from(want))).toBe(true);
}

describe('decodeBmp', () => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s: the pixels drawn', (_name, v) => {
    const img = decodeBmp(writeBmp(v.spec));
    expect([img.width, img.height, img.warnings]).toEqual([W, H, []]);
    expectPixels(img.data, W, H, v.expected);
  });

  it('RLE8 and RLE4: runs, literals, line ends and moves', () => {
    const p8 = pal(256);
    const rle8 = decodeBmp(writeBmp({ header: 40, width: 8, height: 3, bpp: 8, compression: 1, palette: p8, rle: RLE8 }));
    expectPixels(rle8.data, 8, 3, (x, y) => p8[RLE8_ROWS[y]![x]!]!);
    const p4 = pal(16);
    const rle4 = decodeBmp(writeBmp({ header: 40, width: 8, height: 3, bpp: 4, compression: 2, palette: p4, rle: RLE4 }));
    expectPixels(rle4.data, 8, 3, (x, y) => p4[RLE4_ROWS[y]![x]!]!);
  });

  const refuses = (spec: BmpSpec | Buffer, kind: 'damaged' | 'unsupported', message: RegExp) => {
    const buf = Buffer.isBuffer(spec) ? spec : writeBmp(spec);
    let err: unknown;
    try {
      decodeBmp(buf);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe(kind);
    expect((err as ValidationError).message).toMatch(message);
  };

  it('flags palette overruns and header contradictions, each with its reason', () => {
    refuses({ header: 40, width: W, height: H, bpp: 8, palette: pal(10), pixel: index(12) }, 'damaged', /palette index 11, past the end of its 10-colour palette/);
    refuses({ header: 40, width: W, height: H, bpp: 4, palette: pal(16), colorsUsed: 20, pixel: index(16) }, 'damaged', /palette of 20 colours, longer than 4-bit pixels can index \(16\)/);
    refuses({ header: 40, width: W, height: H, bpp: 24, planes: 3, pixel: rgb }, 'damaged', /3 colour planes, where a BMP always has 1/);
    refuses({ header: 40, width: W, height: H, bpp: 24, pixel: rgb, fileSizeField: 9999 }, 'damaged', /file-size field says 9999 bytes, the file has only 234/);
    refuses({ header: 40, width: 8, height: 3, bpp: 8, compression: 1, palette: pal(4), rle: [3, 5, 0, 1] }, 'damaged', /palette index 5, past the end of its 4-colour palette/);
  });

  it('warns, but decodes, when the file is longer than its file-size field says', () => {
    const img = decodeBmp(writeBmp({ header: 40, width: W, height: H, bpp: 24, pixel: rgb, fileSizeField: 100 }));
    expect(img.warnings).toEqual(['BMP header contradiction: the file-size field says 100 bytes, the file has 234']);
    expectPixels(img.data, W, H, rgb);
  });

  it('calls truncation and impossible fields damaged', () => {
    const whole = writeBmp({ header: 40, width: W, height: H, bpp: 24, pixel: rgb, fileSizeField: 0 });
    refuses(whole.subarray(0, whole.length - 40), 'damaged', /pixel data is truncated: 5 rows need 177 bytes after offset 54, the file has 140/);
    refuses(whole.subarray(0, 40), 'damaged', /truncated inside the BMP info header/);
    refuses({ header: 40, width: W, height: H, bpp: 7, pixel: () => 0 }, 'damaged', /bit depth 7/);
    refuses({ header: 40, width: W, height: H, bpp: 8, compression: 2, palette: pal(256), rle: [0, 1] }, 'damaged', /RLE4 compression with 8-bit pixels/);
    refuses({ header: 40, width: 8, height: 3, bpp: 8, compression: 1, palette: pal(256), rle: [8, 1, 0, 0, 4, 2] }, 'damaged', /RLE8 data ends at row 2 of 3, before its end-of-bitmap marker/);
    refuses({ header: 14, width: W, height: H, bpp: 24, pixel: rgb }, 'damaged', /info header size 14/);
  });

  it('names the variants it does not read', () => {
    refuses({ header: 40, width: W, height: H, bpp: 0, compression: 4, rle: [0xff, 0xd8, 0xff, 0xd9] }, 'unsupported', /embedded JPEG data \(BI_JPEG/);
    refuses({ header: 40, width: W, height: H, bpp: 0, compression: 5, rle: [0x89, 0x50, 0x4e, 0x47] }, 'unsupported', /embedded PNG data/);
    refuses({ header: 64, width: W, height: H, bpp: 1, compression: 3, palette: pal(2), rle: [1, 2, 3, 4] }, 'unsupported', /OS\/2 BMP with Huffman 1D compression/);
    refuses({ header: 40, width: W, height: H, bpp: 64, rle: new Array(W * H * 8).fill(0) }, 'unsupported', /64-bit BMP/);
  });
});

describe('inspect on BMP files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tmpDir('bmp');
  });
  afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

  it('every well-formed variant is ok: never damaged, never not-an-image', async () => {
    for (const [i, v] of VARIANTS.entries()) {
      const file = await write(dir, `ok/${i}.bmp`, writeBmp(v.spec));
      const verdict = await inspect(file);
      expect({ name: v.name, category: verdict.category, reason: verdict.reason }).toEqual({ name: v.name, category: 'ok', reason: `BMP ${W}x${H} decodes cleanly` });
      expect(verdict.facts.format).toBe('bmp');
    }
  });

  it('puts each irregular BMP in its category with the reason', async () => {
    const cases: [string, BmpSpec, string, RegExp][] = [
      ['overrun', { header: 40, width: W, height: H, bpp: 8, palette: pal(10), pixel: index(12) }, 'damaged', /^BMP does not decode: BMP pixel uses palette index 11/],
      ['long-palette', { header: 40, width: W, height: H, bpp: 1, palette: pal(2), colorsUsed: 5, pixel: index(2) }, 'damaged', /^BMP does not decode: BMP header contradiction: a palette of 5 colours/],
      ['planes', { header: 40, width: W, height: H, bpp: 24, planes: 2, pixel: rgb }, 'damaged', /2 colour planes/],
      ['size-short', { header: 40, width: W, height: H, bpp: 24, pixel: rgb, fileSizeField: 100 }, 'decodes-with-warnings', /^decodes, but the decoder warns: BMP header contradiction: the file-size field says 100 bytes/],
      ['size-long', { header: 40, width: W, height: H, bpp: 24, pixel: rgb, fileSizeField: 5000 }, 'damaged', /the file-size field says 5000 bytes, the file has only 234/],
      ['jpeg-inside', { header: 40, width: W, height: H, bpp: 0, compression: 4, rle: [0xff, 0xd8, 0xff, 0xd9] }, 'unsupported', /^BMP image: BMP with embedded JPEG data/],
    ];
    for (const [name, spec, category, reason] of cases) {
      const v = await inspect(await write(dir, `odd/${name}.bmp`, writeBmp(spec)));
      expect({ name, category: v.category }).toEqual({ name, category });
      expect(v.reason).toMatch(reason);
    }
  });

  it('an OS/2 bitmap under a .jpg name is a format-mismatch that decodes', async () => {
    const v = await inspect(await write(dir, 'mismatch/os2.jpg', writeBmp(VARIANTS[2]!.spec)));
    expect(v).toMatchObject({ category: 'format-mismatch', reason: 'BMP data under a .jpg name', facts: { format: 'bmp', width: W, height: H } });
  });

  it('an unsupported BMP under a .jpg name is unsupported, not a mismatch to train on', async () => {
    const v = await inspect(await write(dir, 'mismatch/cmyk.jpg', writeBmp({ header: 40, width: W, height: H, bpp: 32, compression: 11, rle: new Array(W * H * 4).fill(0) })));
    expect(v.category).toBe('unsupported');
    expect(v.reason).toMatch(/CMYK BMP/);
    expect(path.extname(v.path)).toBe('.jpg');
  });
});
