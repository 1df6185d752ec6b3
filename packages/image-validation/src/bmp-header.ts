/**
 * BMP headers, every variant ImageMagick reads: OS/2 1.x (12-byte BITMAPCOREHEADER), OS/2 2.x
 * (16 to 64 bytes), Windows BITMAPINFOHEADER (40) and its V2/V3/V4/V5 successors (52, 56, 108,
 * 124). Sources: Microsoft's "Bitmap Header Types" and BITMAPINFOHEADER documentation, the OS/2
 * 2.x BITMAPINFOHEADER2 layout, ImageMagick's coders/bmp.c (which checks it refuses are marked so).
 */

import { ValidationError } from './errors';

export interface BmpMasks {
  r: number;
  g: number;
  b: number;
  a: number;
}

export interface BmpHeader {
  /** The file-size field of the file header (0 is allowed). */
  fileSizeField: number;
  /** Where the pixel data starts. */
  dataOffset: number;
  headerSize: number;
  /** 'os2v1' (12 bytes), 'os2v2' (16..64 bytes, not 40/52/56), 'windows' (40 and up). */
  flavour: 'os2v1' | 'os2v2' | 'windows';
  width: number;
  height: number;
  /** Rows stored top row first (a negative height). */
  topDown: boolean;
  planes: number;
  bpp: number;
  /** 0 none, 1 RLE8, 2 RLE4, 3 BITFIELDS, 6 ALPHABITFIELDS (Windows numbering). */
  compression: number;
  /** Palette entries, BGR or BGRX. */
  palette: Uint8Array[];
  /** Masks for 16- and 32-bit pixels (the defaults when the file gives none). */
  masks: BmpMasks;
  /** The header says the pixels carry alpha (ALPHABITFIELDS, or an alpha mask in a V3+ header). */
  alpha: boolean;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
const i32 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);

/** Header sizes beyond this are not BMP headers (V5 is 124; room for vendors' extensions). */
export const MAX_BMP_HEADER = 1024;
const BIT_DEPTHS = new Set([1, 2, 4, 8, 16, 24, 32]);

const damaged = (m: string) => new ValidationError('damaged', m);
const unsupported = (m: string) => new ValidationError('unsupported', m);

/**
 * Reads and checks a BMP's headers and palette. Throws ValidationError: 'damaged' for what breaks the
 * format (truncation, impossible fields, the contradictions ImageMagick refuses), 'unsupported' for
 * variants not read here (embedded JPEG/PNG, OS/2 Huffman and RLE24, CMYK, 64-bit).
 */
export function readBmpHeader(data: Uint8Array): BmpHeader {
  if (data.length < 18 || data[0] !== 0x42 || data[1] !== 0x4d) throw damaged('truncated BMP file header');
  const headerSize = u32(data, 14);
  if (headerSize < 12 || (headerSize > 12 && headerSize < 16) || headerSize > MAX_BMP_HEADER) {
    throw damaged(`BMP info header size ${headerSize} is not one of the format's (12, 16 to 64, 108, 124)`);
  }
  if (data.length < 14 + Math.min(headerSize, 40)) throw damaged('truncated inside the BMP info header');
  const h: BmpHeader = {
    fileSizeField: u32(data, 2), dataOffset: u32(data, 10), headerSize,
    flavour: headerSize === 12 ? 'os2v1' : headerSize < 40 || headerSize === 64 || (headerSize > 40 && headerSize < 64 && headerSize !== 52 && headerSize !== 56) ? 'os2v2' : 'windows',
    width: 0, height: 0, topDown: false, planes: 0, bpp: 0, compression: 0, palette: [], masks: { r: 0, g: 0, b: 0, a: 0 }, alpha: false,
  };
  let colorsUsed = 0;
  if (h.flavour === 'os2v1') {
    h.width = u16(data, 18);
    h.height = u16(data, 20);
    h.planes = u16(data, 22);
    h.bpp = u16(data, 24);
  } else {
    h.width = i32(data, 18);
    const height = i32(data, 22);
    h.topDown = height < 0;
    h.height = Math.abs(height);
    h.planes = u16(data, 26);
    h.bpp = u16(data, 28);
    // OS/2 2.x headers may stop after any field; the fields left out are zero.
    if (headerSize >= 20) h.compression = u32(data, 30);
    if (headerSize >= 36) colorsUsed = u32(data, 46);
  }
  checkFields(h, colorsUsed);

  // Masks: inside V2+ headers, or right after a 40-byte header for (ALPHA)BITFIELDS.
  let p = 14 + headerSize;
  if (h.bpp === 16) h.masks = { r: 0x7c00, g: 0x03e0, b: 0x001f, a: 0 };
  else if (h.bpp === 32) h.masks = { r: 0xff0000, g: 0xff00, b: 0xff, a: 0 };
  if (h.flavour === 'windows') {
    const bitfields = h.compression === 3 || h.compression === 6;
    if (headerSize >= 52) {
      if (bitfields) h.masks = { r: u32(data, 54), g: u32(data, 58), b: u32(data, 62), a: headerSize >= 56 ? u32(data, 66) : 0 };
      else if (headerSize >= 56 && h.bpp === 32 && u32(data, 66) !== 0) h.masks.a = u32(data, 66);
    } else if (bitfields) {
      const n = h.compression === 6 ? 4 : 3;
      if (data.length < p + n * 4) throw damaged('truncated inside the BMP colour masks');
      h.masks = { r: u32(data, p), g: u32(data, p + 4), b: u32(data, p + 8), a: n === 4 ? u32(data, p + 12) : 0 };
      p += n * 4;
    }
    if (bitfields && (h.masks.r | h.masks.g | h.masks.b) === 0) throw damaged('BMP BITFIELDS compression with all colour masks zero');
    h.alpha = h.masks.a !== 0;
  }

  // Palette: 3-byte entries in OS/2 1.x, 4-byte ones elsewhere.
  const entry = h.flavour === 'os2v1' ? 3 : 4;
  // Above 8 bits a palette is only a hint for old displays: skipped, not read.
  let entries = h.bpp <= 8 ? colorsUsed || 1 << h.bpp : 0;
  const hint = h.bpp > 8 ? colorsUsed * entry : 0;
  if (h.flavour === 'os2v1' && h.dataOffset > p) entries = Math.min(entries, Math.floor((h.dataOffset - p) / 3));
  if (h.bpp <= 8 && entries === 0) throw damaged('BMP palette is empty');
  if (p + entries * entry > data.length) throw damaged(`truncated inside the BMP palette (${entries} entries)`);
  for (let i = 0; i < entries; i++) h.palette.push(data.subarray(p + i * entry, p + i * entry + 3));
  p += entries * entry + hint;

  if (h.dataOffset === 0) h.dataOffset = p; // some writers leave it 0; the pixels follow the palette
  if (h.dataOffset < 14 + headerSize) throw damaged(`BMP pixel data offset ${h.dataOffset} points inside the header`);
  if (h.dataOffset >= data.length) throw damaged(`BMP pixel data offset ${h.dataOffset} is past the end of the file (${data.length} bytes)`);
  return h;
}

function checkFields(h: BmpHeader, colorsUsed: number): void {
  if (h.flavour === 'os2v2' && (h.compression === 3 || h.compression === 4)) {
    throw unsupported(`OS/2 BMP with ${h.compression === 3 ? 'Huffman 1D' : 'RLE24'} compression is not read here (a fax-era variant)`);
  }
  if (h.compression === 4 || h.compression === 5) {
    throw unsupported(`BMP with embedded ${h.compression === 4 ? 'JPEG' : 'PNG'} data (BI_${h.compression === 4 ? 'JPEG' : 'PNG'}, a printer format) is not read here`);
  }
  if (h.compression >= 11 && h.compression <= 13) throw unsupported('CMYK BMP (BI_CMYK*) is not read here');
  if (h.bpp === 64) throw unsupported('64-bit BMP (scRGB) is not read here');
  if (![0, 1, 2, 3, 6].includes(h.compression)) throw damaged(`unknown BMP compression ${h.compression}`);
  if (!BIT_DEPTHS.has(h.bpp)) throw damaged(`BMP bit depth ${h.bpp} is not one of 1, 2, 4, 8, 16, 24, 32`);
  if (h.width <= 0 || h.height === 0) throw damaged(`BMP header gives an empty or negative size ${h.width}x${h.height}`);
  if (h.compression === 1 && h.bpp !== 8) throw damaged(`BMP RLE8 compression with ${h.bpp}-bit pixels`);
  if (h.compression === 2 && h.bpp !== 4) throw damaged(`BMP RLE4 compression with ${h.bpp}-bit pixels`);
  if ((h.compression === 3 || h.compression === 6) && h.bpp !== 16 && h.bpp !== 32) throw damaged(`BMP BITFIELDS compression with ${h.bpp}-bit pixels`);
  // ImageMagick refuses both (StaticPlanesValueNotEqualToOne, UnrecognizedNumberOfColors).
  if (h.planes !== 1) throw damaged(`BMP header contradiction: ${h.planes} colour planes, where a BMP always has 1`);
  if (h.bpp <= 8 && colorsUsed > 1 << h.bpp) {
    throw damaged(`BMP header contradiction: a palette of ${colorsUsed} colours, longer than ${h.bpp}-bit pixels can index (${1 << h.bpp})`);
  }
}
