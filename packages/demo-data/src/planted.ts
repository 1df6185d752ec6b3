import sharp from 'sharp';
import type { Category, Policy } from '@pawpipe/image-validation';
import { drawPicture } from './draw';
import { encodeBmp, withClaimedSize, withExifOnly, withJfif, withJunkBeforeEoi } from './jpeg-bytes';
import { asApngMissingFrame, encodeBmpPaletteOverrun, encodeOs2Bmp, withExtraIdatData, withTruncatedExif } from './odd-bytes';
import { Rng } from './rng';
import type { Shape } from './shapes';

/** A broken or odd file planted among the pictures, with what each policy should make of it. */
export interface PlantedFile {
  /** Relative to the demo folder, '/' separators. */
  path: string;
  kind: string;
  /** Category under the default `strict` policy. */
  expected: Category;
  /** Whether each policy flags it (the README decision table of @pawpipe/image-validation). */
  flaggedBy: Record<Policy, boolean>;
  /**
   * What training does with it by default (data-pipeline's exclude set): used as is, kept and
   * listed with a warning, or left out. Files Keras would not list (Thumbs.db, .tiff) are left out.
   */
  training: Training;
  /** Whether the pipeline's decoder reads its pixels (what --no-validate would train on). */
  decodes: boolean;
  /** Whether the strict verdict carries a note (truncated Exif metadata). */
  note: boolean;
  description: string;
}

export type Training = 'used' | 'kept-with-warning' | 'left-out';

type Flags = [strict: 0 | 1, jfif: 0 | 1, verify: 0 | 1, sniff: 0 | 1, decode: 0 | 1];
const flags = ([strict, jfif, verify, sniff, decode]: Flags): Record<Policy, boolean> => ({
  strict: !!strict, jfif: !!jfif, verify: !!verify, sniff: !!sniff, decode: !!decode,
});

interface Recipe {
  kind: string;
  /** Which class folder (index modulo the number of classes). */
  cls: number;
  /** A fixed file name (Kaggle's own), else the next free number with this extension. */
  name?: string;
  ext?: string;
  expected: Category;
  flagged: Flags;
  training: Training;
  /** Default: every category but not-an-image, damaged and too-large decodes. */
  decodes?: boolean;
  note?: boolean;
  description: string;
  make(rng: Rng, shape: Shape): Promise<Buffer>;
}

async function jpegOf(rng: Rng, shape: Shape, quality = 90): Promise<{ jpeg: Buffer; rgb: Buffer; width: number; height: number }> {
  const p = drawPicture(shape, rng);
  const jpeg = await sharp(p.rgb, { raw: { width: p.width, height: p.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  return { jpeg, rgb: p.rgb, width: p.width, height: p.height };
}
const raw = (p: { rgb: Buffer; width: number; height: number }) => sharp(p.rgb, { raw: { width: p.width, height: p.height, channels: 3 } });

const HTML = '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n';

/** Compound File Binary header: what Windows' Thumbs.db starts with. */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/**
 * The Kaggle PetImages folder's known oddities. Flags per policy, in the order
 * [strict, jfif, verify, sniff, decode]; reasons in @pawpipe/image-validation's README table.
 */
export const RECIPES: readonly Recipe[] = [
  { kind: 'empty', training: 'left-out', cls: 0, name: '666.jpg', expected: 'not-an-image', flagged: [1, 1, 1, 1, 1], description: "0 bytes, like Kaggle's Cat/666.jpg", make: async () => Buffer.alloc(0) },
  { kind: 'empty', training: 'left-out', cls: 1, name: '11702.jpg', expected: 'not-an-image', flagged: [1, 1, 1, 1, 1], description: "0 bytes, like Kaggle's Dog/11702.jpg", make: async () => Buffer.alloc(0) },
  ...[0, 1].map((cls): Recipe => ({
    kind: 'truncated', training: 'left-out', cls, ext: '.jpg', expected: 'damaged', flagged: [1, 0, 0, 0, 1], description: 'JPEG cut off in the middle of its image data',
    make: async (rng, shape) => {
      const j = withJfif((await jpegOf(rng, shape)).jpeg);
      return j.subarray(0, Math.floor(j.length * rng.range(0.45, 0.8)));
    },
  })),
  ...[0, 1].map((cls): Recipe => ({
    kind: 'extraneous-bytes', training: 'kept-with-warning', cls, ext: '.jpg', expected: 'decodes-with-warnings', flagged: [1, 0, 0, 0, 1],
    description: 'junk before the end marker: libjpeg warns "Corrupt JPEG data: N extraneous bytes before marker 0xd9"',
    make: async (rng, shape) => withJunkBeforeEoi(withJfif((await jpegOf(rng, shape)).jpeg), rng.bytes(rng.int(8, 200))),
  })),
  { kind: 'png-as-jpg', training: 'kept-with-warning', cls: 0, ext: '.jpg', expected: 'format-mismatch', flagged: [1, 1, 0, 0, 0], description: 'PNG data under a .jpg name', make: async (rng, s) => raw(await jpegOf(rng, s)).png().toBuffer() },
  { kind: 'gif-as-jpg', training: 'kept-with-warning', cls: 1, ext: '.jpg', expected: 'format-mismatch', flagged: [1, 1, 0, 0, 0], description: 'GIF data under a .jpg name', make: async (rng, s) => raw(await jpegOf(rng, s)).gif().toBuffer() },
  {
    kind: 'bmp-as-jpg', training: 'kept-with-warning', cls: 0, ext: '.jpg', expected: 'format-mismatch', flagged: [1, 1, 0, 0, 0], description: 'BMP data under a .jpg name',
    make: async (rng, s) => {
      const p = await jpegOf(rng, s);
      return encodeBmp(p.rgb, p.width, p.height);
    },
  },
  { kind: 'webp-as-jpg', training: 'left-out', cls: 1, ext: '.jpg', expected: 'format-mismatch', flagged: [1, 1, 0, 0, 0], description: "WebP data under a .jpg name (TensorFlow cannot read WebP)", make: async (rng, s) => raw(await jpegOf(rng, s)).webp().toBuffer() },
  { kind: 'exif-only', training: 'used', cls: 0, ext: '.jpg', expected: 'ok', flagged: [0, 1, 0, 0, 0], description: 'valid JPEG with an Exif segment and no JFIF segment (the Keras filter deletes these)', make: async (rng, s) => withExifOnly((await jpegOf(rng, s)).jpeg) },
  { kind: 'cmyk', training: 'used', cls: 1, ext: '.jpg', expected: 'ok', flagged: [0, 1, 0, 1, 0], description: 'valid CMYK JPEG (Adobe segment, no JFIF; imghdr does not recognise it)', make: async (rng, s) => raw(await jpegOf(rng, s)).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer() },
  { kind: 'greyscale', training: 'used', cls: 0, ext: '.jpg', expected: 'ok', flagged: [0, 0, 0, 0, 0], description: 'valid one-channel JPEG', make: async (rng, s) => withJfif(await raw(await jpegOf(rng, s)).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer()) },
  { kind: 'gigantic-header', training: 'left-out', cls: 1, ext: '.jpg', expected: 'too-large', flagged: [1, 0, 1, 0, 1], description: 'JPEG whose header claims 60000x60000 pixels (a decompression bomb)', make: async (rng, s) => withClaimedSize(withJfif((await jpegOf(rng, s)).jpeg), 60000, 60000) },
  {
    kind: 'random-bytes', training: 'left-out', cls: 0, ext: '.jpg', expected: 'not-an-image', flagged: [1, 1, 1, 1, 1], description: 'random bytes under a .jpg name',
    make: async (rng) => {
      const b = rng.bytes(rng.int(2000, 20000));
      b.set([0x00, 0x13, 0x37, 0x42], 0); // no format's magic number, by construction
      return b;
    },
  },
  { kind: 'html', training: 'left-out', cls: 1, ext: '.jpg', expected: 'not-an-image', flagged: [1, 1, 1, 1, 1], description: 'an HTML error page saved as .jpg (a failed download)', make: async () => Buffer.from(HTML) },
  {
    kind: 'bmp-os2', training: 'used', cls: 1, ext: '.bmp', expected: 'ok', flagged: [0, 1, 0, 0, 0], description: 'valid OS/2 1.x bitmap (12-byte header), which ImageMagick and decode_image read',
    make: async (rng, s) => {
      const p = await jpegOf(rng, s);
      return encodeOs2Bmp(p.rgb, p.width, p.height);
    },
  },
  {
    kind: 'bmp-palette-overrun', training: 'left-out', cls: 0, ext: '.bmp', expected: 'damaged', flagged: [1, 1, 0, 0, 1], description: 'BMP whose pixels use palette indices past the end of its palette',
    make: async (rng, s) => {
      const p = await jpegOf(rng, s);
      return encodeBmpPaletteOverrun(p.rgb, p.width, p.height);
    },
  },
  {
    kind: 'png-extra-idat', training: 'kept-with-warning', cls: 0, ext: '.png', expected: 'decodes-with-warnings', flagged: [1, 1, 0, 0, 1],
    description: 'PNG with extra compressed data after the image in IDAT (libpng warns, decoders read it)',
    make: async (rng, s) => withExtraIdatData(await raw(await jpegOf(rng, s)).png().toBuffer(), rng.bytes(64)),
  },
  {
    kind: 'apng-broken', training: 'kept-with-warning', cls: 1, ext: '.png', expected: 'decodes-with-warnings', flagged: [1, 1, 0, 0, 1],
    description: 'APNG whose second frame has no frame data (broken frame sequence; its first frame decodes)',
    make: async (rng, s) => {
      const p = await jpegOf(rng, s);
      return asApngMissingFrame(await raw(p).png().toBuffer(), p.width, p.height);
    },
  },
  {
    kind: 'exif-truncated', training: 'used', cls: 1, ext: '.jpg', expected: 'ok', flagged: [0, 0, 0, 0, 0], note: true,
    description: 'JPEG whose Exif block is cut short but whose image data is complete (ok, with a note)',
    make: async (rng, s) => withTruncatedExif(withJfif((await jpegOf(rng, s)).jpeg)),
  },
  { kind: 'tiff', training: 'left-out', cls: 0, ext: '.tiff', expected: 'unsupported', flagged: [1, 1, 0, 0, 0], description: "valid TIFF, which TensorFlow's decode_image cannot read", make: async (rng, s) => raw(await jpegOf(rng, s)).tiff().toBuffer() },
  ...[0, 1].map((cls): Recipe => ({
    kind: 'thumbs-db', training: 'left-out', cls, name: 'Thumbs.db', expected: 'not-an-image', flagged: [1, 1, 1, 1, 1], description: "Windows' thumbnail cache in a class folder",
    make: async (rng) => Buffer.concat([OLE_MAGIC, rng.bytes(rng.int(4000, 12000))]),
  })),
];

export const flaggedBy = (r: Recipe) => flags(r.flagged);
export const decodes = (r: Recipe) => r.decodes ?? !['not-an-image', 'damaged', 'too-large'].includes(r.expected);
export type { Recipe };
