import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

/** Small real image files for tests, made with sharp and byte edits (nothing checked in). */

const JFIF_APP0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
const EXIF_APP1 = Buffer.from([
  0xff, 0xe1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00, 0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

export function pixels(width: number, height: number, seed = 1): Buffer {
  const b = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const i = (y * width + x) * 3;
      b[i] = (x * 255) / width + (s & 15);
      b[i + 1] = (y * 255) / height + ((s >>> 8) & 15);
      b[i + 2] = 128 + 60 * Math.sin(x / 9) + ((s >>> 16) & 15);
    }
  }
  return b;
}

const img = (w = 120, h = 90, seed = 1) => sharp(pixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } });
const insertAfterSoi = (jpeg: Buffer, seg: Buffer) => Buffer.concat([jpeg.subarray(0, 2), seg, jpeg.subarray(2)]);

export async function jpeg(opts: { w?: number; h?: number; seed?: number; progressive?: boolean } = {}): Promise<Buffer> {
  const j = await img(opts.w, opts.h, opts.seed).jpeg({ quality: 90, progressive: !!opts.progressive }).toBuffer();
  return insertAfterSoi(j, JFIF_APP0);
}
export const exifOnlyJpeg = async () => insertAfterSoi(await img().jpeg({ quality: 90 }).toBuffer(), EXIF_APP1);
export const cmykJpeg = () => img().toColourspace('cmyk').jpeg().toBuffer();
export const greyJpeg = async () => insertAfterSoi(await img().toColourspace('b-w').jpeg().toBuffer(), JFIF_APP0);
export const png = () => img().png().toBuffer();
export const gif = () => img().gif().toBuffer();
export const webp = () => img().webp().toBuffer();
export const tiff = () => img().tiff().toBuffer();

export function bmp(w = 40, h = 30): Buffer {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * h);
  out.fill(0x40, 54);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(w, 18);
  out.writeInt32LE(h, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(0, 30);
  out.writeUInt32LE(stride * h, 34);
  return out;
}

export async function truncatedJpeg(): Promise<Buffer> {
  const j = await jpeg({ w: 200, h: 150 });
  return j.subarray(0, Math.floor(j.length * 0.6));
}

/** `n` junk bytes (no 0xFF) between the coded data and EOI: libjpeg's "extraneous bytes before marker 0xd9". */
export async function extraneousJpeg(n = 37): Promise<Buffer> {
  const j = await jpeg();
  return Buffer.concat([j.subarray(0, j.length - 2), Buffer.alloc(n, 0x41), j.subarray(j.length - 2)]);
}

/** A JPEG whose frame header claims width x height (the data is for a small picture). */
export async function claimsSize(width: number, height: number): Promise<Buffer> {
  const j = Buffer.from(await jpeg());
  for (let p = 2; p < j.length; ) {
    const m = j[p + 1]!;
    if (m === 0xc0 || m === 0xc1 || m === 0xc2) {
      j.writeUInt16BE(height, p + 5);
      j.writeUInt16BE(width, p + 7);
      return j;
    }
    p += 2 + j.readUInt16BE(p + 2);
  }
  throw new Error('no SOF');
}

export const thumbsDb = () => Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(3000, 7)]);
export const html = () => Buffer.from('<!DOCTYPE html><html><head><title>404</title></head><body>Not Found</body></html>\n');
export function randomBytes(n = 5000, seed = 9): Buffer {
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    b[i] = s >>> 24;
  }
  b.set([0x00, 0x13, 0x37, 0x42], 0);
  return b;
}

export async function tmpDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `pawpipe-${prefix}-`));
}

export async function write(root: string, rel: string, data: Buffer | string): Promise<string> {
  const p = path.join(root, rel);
  await fsp.mkdir(path.dirname(p), { recursive: true });
  await fsp.writeFile(p, data);
  return p;
}
