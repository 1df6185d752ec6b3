import { MAX_BMP_HEADER } from './bmp-header';

/** Formats told apart by their first bytes ("magic numbers"), independent of the file name. */
export type Format =
  | 'jpeg' | 'png' | 'gif' | 'bmp' | 'webp' | 'tiff' | 'avif' | 'heif' | 'ico' | 'psd' | 'svg'
  | 'ole' | 'pdf' | 'zip' | 'html' | 'text' | 'unknown';

/** Formats that are pictures at all (the rest are documents, archives or junk). */
export const IMAGE_FORMATS: ReadonlySet<string> = new Set([
  'jpeg', 'png', 'gif', 'bmp', 'webp', 'tiff', 'avif', 'heif', 'ico', 'psd', 'svg',
]);

/** What TensorFlow's decode_image reads, hence what Keras' image_dataset_from_directory can train on. */
export const TF_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'gif', 'bmp']);

/** File-name extensions per format (lower case, with the dot). */
export const EXTENSIONS: Record<string, readonly string[]> = {
  jpeg: ['.jpg', '.jpeg', '.jpe', '.jfif'],
  png: ['.png'],
  gif: ['.gif'],
  bmp: ['.bmp', '.dib'],
  webp: ['.webp'],
  tiff: ['.tif', '.tiff'],
  avif: ['.avif'],
  heif: ['.heic', '.heif'],
  ico: ['.ico'],
  psd: ['.psd'],
  svg: ['.svg'],
};

/** The format an image extension promises, or undefined for a name that is not an image name. */
export function formatOfExtension(ext: string): string | undefined {
  const e = ext.toLowerCase();
  for (const [format, exts] of Object.entries(EXTENSIONS)) if (exts.includes(e)) return format;
  return undefined;
}

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, from: number, to: number): string =>
  Buffer.from(b.buffer, b.byteOffset + from, Math.max(0, Math.min(to, b.length) - from)).toString('latin1');

/**
 * 'BM' alone is too weak a signature: the info header size must be one a BMP can have, 12
 * (OS/2 1.x) or 16 and up (OS/2 2.x headers stop after any field; Windows' are 40 to 124).
 */
const isBmpHeaderSize = (n: number) => n === 12 || (n >= 16 && n <= MAX_BMP_HEADER);

export function sniffFormat(head: Uint8Array): Format {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const six = ascii(head, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return 'gif';
  if (six.startsWith('BM') && head.length >= 18 && isBmpHeaderSize(readU32LE(head, 14))) return 'bmp';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'heif';
  }
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00]) && head.length >= 6 && head[4]! + head[5]! > 0) return 'ico';
  if (ascii(head, 0, 4) === '8BPS') return 'psd';
  // Compound File Binary: Windows' Thumbs.db, old Office documents.
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'ole';
  if (ascii(head, 0, 5) === '%PDF-') return 'pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  return sniffText(head);
}

function sniffText(head: Uint8Array): Format {
  const n = Math.min(head.length, 1024);
  if (n === 0) return 'unknown';
  for (let i = 0; i < n; i++) {
    const c = head[i]!;
    // Printable ASCII, whitespace, or UTF-8 continuation/lead bytes; NUL and most controls mean binary.
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c === 0x7f) return 'unknown';
  }
  const text = ascii(head, 0, n).toLowerCase();
  if (text.includes('<svg')) return 'svg';
  if (text.includes('<html') || text.includes('<!doctype html') || text.includes('<head') || text.includes('<body')) return 'html';
  return 'text';
}

export function readU32LE(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/**
 * Python's imghdr.what() on the first 32 bytes (CPython 3.11 Lib/imghdr.py, tests in its order).
 * Returns null where imghdr does; the source material's `sniff` method deletes those files.
 */
export function imghdrWhat(head: Uint8Array): string | null {
  const h = head.subarray(0, 32);
  const s = (from: number, to: number) => ascii(h, from, to);
  if (s(6, 10) === 'JFIF' || s(6, 10) === 'Exif') return 'jpeg';
  if (startsWith(h, [0xff, 0xd8, 0xff, 0xdb])) return 'jpeg';
  if (startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (s(0, 6) === 'GIF87a' || s(0, 6) === 'GIF89a') return 'gif';
  if (s(0, 2) === 'MM' || s(0, 2) === 'II') return 'tiff';
  if (startsWith(h, [0x01, 0xda])) return 'rgb';
  if (h.length >= 3 && h[0] === 0x50 && [0x20, 0x09, 0x0a, 0x0d].includes(h[2]!)) {
    if (h[1] === 0x31 || h[1] === 0x34) return 'pbm';
    if (h[1] === 0x32 || h[1] === 0x35) return 'pgm';
    if (h[1] === 0x33 || h[1] === 0x36) return 'ppm';
  }
  if (startsWith(h, [0x59, 0xa6, 0x6a, 0x95])) return 'rast';
  if (s(0, 8) === '#define ') return 'xbm';
  if (s(0, 2) === 'BM') return 'bmp';
  if (s(0, 4) === 'RIFF' && s(8, 12) === 'WEBP') return 'webp';
  if (startsWith(h, [0x76, 0x2f, 0x31, 0x01])) return 'exr';
  return null;
}
