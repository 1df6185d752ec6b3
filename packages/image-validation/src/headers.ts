import { crc32 } from 'node:zlib';
import { readBmpHeader } from './bmp-header';
import { ValidationError } from './errors';
import { readU32LE } from './magic';

/** Dimensions and colour layout read from a header, without decoding pixels. */
export interface HeaderInfo {
  width: number;
  height: number;
  channels?: number;
  space?: string;
  /** Structural damage found while reading the header (or, for PNG, the chunk list). */
  damage?: string;
  /** A variant of the format that is not decoded here, and why. */
  unsupported?: string;
}

const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const i32le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);

/** PNG colour type -> [channels, space] (PNG spec 11.2.2 IHDR). */
const PNG_COLOUR: Record<number, [number, string]> = {
  0: [1, 'b-w'], 2: [3, 'srgb'], 3: [3, 'palette'], 4: [2, 'b-w'], 6: [4, 'srgb'],
};

/**
 * PNG: IHDR, then with `walkChunks` every chunk's CRC up to IEND, which is what Pillow's
 * PngImageFile.verify() checks. `data` may be only the head of the file when not walking.
 */
export function pngHeader(data: Uint8Array, walkChunks: boolean): HeaderInfo | undefined {
  if (data.length < 33 || Buffer.from(data.subarray(12, 16)).toString('latin1') !== 'IHDR') return undefined;
  const [channels, space] = PNG_COLOUR[data[25]!] ?? [undefined, undefined];
  const info: HeaderInfo = { width: u32be(data, 16), height: u32be(data, 20) };
  if (channels !== undefined) info.channels = channels;
  if (space !== undefined) info.space = space;
  if (!walkChunks) return info;
  let p = 8;
  for (;;) {
    if (p + 12 > data.length) return { ...info, damage: 'truncated: the file ends before the IEND chunk' };
    const len = u32be(data, p);
    const type = Buffer.from(data.subarray(p + 4, p + 8)).toString('latin1');
    if (p + 12 + len > data.length) return { ...info, damage: `truncated inside the ${type} chunk` };
    const crc = crc32(data.subarray(p + 4, p + 8 + len));
    if (crc !== u32be(data, p + 8 + len)) return { ...info, damage: `CRC error in the ${type} chunk` };
    if (type === 'IEND') return info;
    p += 12 + len;
  }
}

export function gifHeader(data: Uint8Array): HeaderInfo | undefined {
  if (data.length < 13) return undefined;
  return { width: u16le(data, 6), height: u16le(data, 8), channels: 3, space: 'palette' };
}

/**
 * BMP: the size from BITMAPCOREHEADER (16-bit) or any later header (signed 32-bit), then the whole
 * header and palette checked by readBmpHeader: what breaks the format is damage, a variant not
 * read here is `unsupported`.
 */
export function bmpHeader(data: Uint8Array): HeaderInfo | undefined {
  if (data.length < 26) return undefined;
  const dib = readU32LE(data, 14);
  let info: HeaderInfo;
  if (dib === 12) {
    const bpp = u16le(data, 24);
    info = { width: u16le(data, 18), height: u16le(data, 20), channels: 3, space: bpp <= 8 ? 'palette' : 'srgb' };
  } else {
    if (data.length < 30) return undefined;
    const bpp = u16le(data, 28);
    info = { width: Math.abs(i32le(data, 18)), height: Math.abs(i32le(data, 22)), channels: bpp === 32 ? 4 : 3, space: bpp <= 8 ? 'palette' : 'srgb' };
  }
  try {
    const h = readBmpHeader(data);
    info.channels = h.alpha ? 4 : 3;
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    if (e.code === 'unsupported') info.unsupported = e.message;
    else info.damage = e.message;
  }
  return info;
}

/** WebP: simple lossy (VP8 ), lossless (VP8L) or extended (VP8X) layout (RFC 9649). */
export function webpHeader(data: Uint8Array): HeaderInfo | undefined {
  if (data.length < 30) return undefined;
  const chunk = Buffer.from(data.subarray(12, 16)).toString('latin1');
  if (chunk === 'VP8 ') {
    return { width: u16le(data, 26) & 0x3fff, height: u16le(data, 28) & 0x3fff, channels: 3, space: 'srgb' };
  }
  if (chunk === 'VP8L') {
    const b = readU32LE(data, 21);
    return { width: (b & 0x3fff) + 1, height: ((b >>> 14) & 0x3fff) + 1, channels: 4, space: 'srgb' };
  }
  if (chunk === 'VP8X') {
    const w = 1 + (data[24]! | (data[25]! << 8) | (data[26]! << 16));
    const h = 1 + (data[27]! | (data[28]! << 8) | (data[29]! << 16));
    return { width: w, height: h, channels: data[20]! & 0x10 ? 4 : 3, space: 'srgb' };
  }
  return undefined;
}
