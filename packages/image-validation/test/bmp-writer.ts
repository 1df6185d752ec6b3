/**
 * Writes BMP files of every variant for the tests, byte by byte from the format's layouts
 * (BITMAPCOREHEADER, OS/2 BITMAPINFOHEADER2, BITMAPINFOHEADER/V4/V5), so nothing is downloaded.
 */

export type Rgb = [number, number, number];

export interface BmpSpec {
  /** Info header size: 12 (OS/2 1.x), 16..64 (OS/2 2.x), 40, 52, 56, 108, 124 (Windows). */
  header: number;
  width: number;
  height: number;
  bpp: number;
  topDown?: boolean;
  compression?: number;
  palette?: Rgb[];
  /** The colours-used field; default: the palette's length when shorter than 2^bpp, else 0. */
  colorsUsed?: number;
  /** BITFIELDS masks (r, g, b[, a]); written into V2+ headers or after a 40-byte one. */
  masks?: number[];
  planes?: number;
  /** Palette index (<= 8 bits), [r, g, b] (24 bits) or the packed pixel (16/32 bits). */
  pixel?: (x: number, y: number) => number | Rgb;
  /** Already-compressed pixel data (RLE). */
  rle?: number[];
  /** Overrides the file-size field. */
  fileSizeField?: number;
}

export function writeBmp(s: BmpSpec): Buffer {
  const os2v1 = s.header === 12;
  const compression = s.compression ?? 0;
  const palette = s.palette ?? [];
  const entry = os2v1 ? 3 : 4;
  const masks = s.masks ?? [];
  const masksAfter = s.header === 40 && (compression === 3 || compression === 6) ? masks.length * 4 : 0;
  const dataOffset = 14 + s.header + masksAfter + palette.length * entry;
  const pixels = s.rle ? Buffer.from(s.rle) : packPixels(s);
  const out = Buffer.alloc(dataOffset + pixels.length);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(s.fileSizeField ?? out.length, 2);
  out.writeUInt32LE(dataOffset, 10);
  out.writeUInt32LE(s.header, 14);
  const planes = s.planes ?? 1;
  if (os2v1) {
    out.writeUInt16LE(s.width, 18);
    out.writeUInt16LE(s.height, 20);
    out.writeUInt16LE(planes, 22);
    out.writeUInt16LE(s.bpp, 24);
  } else {
    out.writeInt32LE(s.width, 18);
    out.writeInt32LE(s.topDown ? -s.height : s.height, 22);
    out.writeUInt16LE(planes, 26);
    out.writeUInt16LE(s.bpp, 28);
    if (s.header >= 20) out.writeUInt32LE(compression, 30);
    if (s.header >= 24) out.writeUInt32LE(pixels.length, 34);
    const colorsUsed = s.colorsUsed ?? (palette.length > 0 && palette.length < 2 ** s.bpp ? palette.length : 0);
    if (s.header >= 36) out.writeUInt32LE(colorsUsed, 46);
    if (s.header >= 52 && s.header !== 64) masks.forEach((m, i) => i < (s.header >= 56 ? 4 : 3) && out.writeUInt32LE(m >>> 0, 54 + i * 4));
    if (s.header >= 108 && s.header !== 64) out.write('BGRs', 70, 'latin1'); // LCS_sRGB colour space
  }
  let p = 14 + s.header;
  if (masksAfter) masks.forEach((m, i) => out.writeUInt32LE(m >>> 0, p + i * 4));
  p += masksAfter;
  for (const [r, g, b] of palette) {
    out[p] = b;
    out[p + 1] = g;
    out[p + 2] = r;
    p += entry;
  }
  pixels.copy(out, dataOffset);
  return out;
}

function packPixels(s: BmpSpec): Buffer {
  const stride = Math.ceil((s.width * s.bpp) / 32) * 4;
  const buf = Buffer.alloc(stride * s.height);
  const pixel = s.pixel ?? (() => 0);
  for (let r = 0; r < s.height; r++) {
    const y = s.topDown ? r : s.height - 1 - r;
    const row = r * stride;
    for (let x = 0; x < s.width; x++) {
      const v = pixel(x, y);
      if (s.bpp <= 8) {
        const bit = x * s.bpp;
        buf[row + (bit >> 3)] = buf[row + (bit >> 3)]! | ((v as number) << (8 - s.bpp - (bit & 7)));
      } else if (s.bpp === 24) {
        const [red, g, b] = v as Rgb;
        buf[row + x * 3] = b;
        buf[row + x * 3 + 1] = g;
        buf[row + x * 3 + 2] = red;
      } else if (s.bpp === 16) {
        buf.writeUInt16LE(v as number, row + x * 2);
      } else {
        buf.writeUInt32LE((v as number) >>> 0, row + x * 4);
      }
    }
  }
  return buf;
}

/** A palette of n distinct colours. */
export const paletteOf = (n: number): Rgb[] => Array.from({ length: n }, (_, i) => [(i * 37) & 255, (i * 91 + 20) & 255, (255 - i * 13) & 255]);
