/**
 * BMP pixels to interleaved RGB, for every variant readBmpHeader accepts: 1/2/4/8-bit palettes,
 * RLE8 and RLE4, 16- and 32-bit pixels with default or explicit (ALPHA)BITFIELDS masks, 24-bit,
 * bottom-up and top-down rows. Alpha is dropped, as TensorFlow's decode_bmp(channels=3) does.
 * Written here because bmp-ts reads OS/2 headers as Windows ones, lacks 2-bit pixels and does not
 * check palette indices.
 */
import { readBmpHeader, type BmpHeader } from './bmp-header';
import { ValidationError } from './errors';

export interface BmpImage {
  width: number;
  height: number;
  channels: 3;
  /** RGB, row-major, top row first. */
  data: Uint8Array;
  header: BmpHeader;
  /** What does not stop decoding but contradicts the file (e.g. its file-size field). */
  warnings: string[];
}

export interface BmpDecodeOptions {
  /** Refuse (as 'damaged') images of more pixels than this before allocating them; 0 = no limit. */
  maxPixels?: number;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** One colour channel of a 16/32-bit pixel: mask, shift, and a table scaling it to 8 bits. */
interface Channel {
  mask: number;
  shift: number;
  bits: number;
  lut: Uint8Array | undefined;
}

function channel(mask: number): Channel {
  if (mask === 0) return { mask, shift: 0, bits: 0, lut: undefined };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while ((mask >>> (shift + bits)) & 1 && bits < 32) bits++;
  let lut: Uint8Array | undefined;
  if (bits < 8) {
    // Bit replication (5 bits abcde -> abcdeabc), as ImageMagick scales 5- and 6-bit channels.
    lut = new Uint8Array(1 << bits);
    for (let v = 0; v < 1 << bits; v++) {
      let acc = v << (8 - bits);
      for (let s = bits; s < 8; s *= 2) acc |= acc >> s;
      lut[v] = acc;
    }
  }
  return { mask, shift, bits, lut };
}

function channelValue(c: Channel, px: number): number {
  if (c.bits === 0) return 0;
  const v = ((px & c.mask) >>> c.shift) >>> 0;
  return c.lut ? c.lut[v & ((1 << c.bits) - 1)]! : v >>> (c.bits - 8);
}

/** Decodes a BMP. Throws ValidationError (code 'damaged' or 'unsupported') when it cannot. */
export function decodeBmp(data: Uint8Array, opts: BmpDecodeOptions = {}): BmpImage {
  const h = readBmpHeader(data);
  const { width: w, height: ht } = h;
  const maxPixels = opts.maxPixels ?? 0;
  if (maxPixels > 0 && w * ht > maxPixels) throw new ValidationError('damaged', `BMP header claims ${w}x${ht} pixels, over the limit of ${maxPixels}`);
  const rle = h.compression === 1 || h.compression === 2;
  const stride = Math.ceil((w * h.bpp) / 32) * 4;
  if (!rle) {
    // The last row's padding may be missing; its pixels may not.
    const need = stride * (ht - 1) + Math.ceil((w * h.bpp) / 8);
    const have = data.length - h.dataOffset;
    if (have < need) throw new ValidationError('damaged', `BMP pixel data is truncated: ${ht} rows need ${need} bytes after offset ${h.dataOffset}, the file has ${have}`);
  }
  const out = new Uint8Array(w * ht * 3);
  const pal = h.palette;
  let badIndex = -1;
  const putIndex = (x: number, y: number, idx: number) => {
    const c = pal[idx];
    if (c === undefined) {
      if (badIndex < 0) badIndex = idx;
      return;
    }
    const o = (y * w + x) * 3;
    out[o] = c[2]!;
    out[o + 1] = c[1]!;
    out[o + 2] = c[0]!;
  };
  const rowAt = (stored: number) => (h.topDown ? stored : ht - 1 - stored);

  if (rle) {
    decodeRle(data, h, putIndex, rowAt);
  } else if (h.bpp <= 8) {
    const bpp = h.bpp;
    const valueMask = (1 << bpp) - 1;
    for (let r = 0; r < ht; r++) {
      const src = h.dataOffset + r * stride;
      const y = rowAt(r);
      for (let x = 0; x < w; x++) {
        const bit = x * bpp;
        putIndex(x, y, (data[src + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & valueMask);
      }
    }
  } else if (h.bpp === 24) {
    for (let r = 0; r < ht; r++) {
      let s = h.dataOffset + r * stride;
      let o = rowAt(r) * w * 3;
      for (let x = 0; x < w; x++, s += 3, o += 3) {
        out[o] = data[s + 2]!;
        out[o + 1] = data[s + 1]!;
        out[o + 2] = data[s]!;
      }
    }
  } else {
    const [cr, cg, cb] = [channel(h.masks.r), channel(h.masks.g), channel(h.masks.b)];
    const bytes = h.bpp / 8;
    for (let r = 0; r < ht; r++) {
      let s = h.dataOffset + r * stride;
      let o = rowAt(r) * w * 3;
      for (let x = 0; x < w; x++, s += bytes, o += 3) {
        const px = bytes === 2 ? u16(data, s) : u32(data, s);
        out[o] = channelValue(cr, px);
        out[o + 1] = channelValue(cg, px);
        out[o + 2] = channelValue(cb, px);
      }
    }
  }
  // ImageMagick refuses these ("invalid colormap index"): the picture is not what was drawn.
  if (badIndex >= 0) throw new ValidationError('damaged', `BMP pixel uses palette index ${badIndex}, past the end of its ${pal.length}-colour palette`);
  const warnings: string[] = [];
  // ImageMagick refuses a file shorter than its file-size field says ("improper image header")
  // and only warns about a longer one ("length and filesize do not match").
  if (h.fileSizeField > data.length) {
    throw new ValidationError('damaged', `BMP header contradiction: the file-size field says ${h.fileSizeField} bytes, the file has only ${data.length}`);
  }
  if (h.fileSizeField !== 0 && h.fileSizeField < data.length) {
    warnings.push(`BMP header contradiction: the file-size field says ${h.fileSizeField} bytes, the file has ${data.length}`);
  }
  return { width: w, height: ht, channels: 3, data: out, header: h, warnings };
}

/**
 * RLE8 / RLE4 (Microsoft "Bitmap Compression"): pairs (count, value) repeat a value; (0, 0) ends
 * a line, (0, 1) the bitmap, (0, 2, dx, dy) moves, (0, n) is n literal pixels padded to 16 bits.
 * Pixels no pair reaches keep palette entry 0's colour, as ImageMagick leaves them.
 */
function decodeRle(data: Uint8Array, h: BmpHeader, putIndex: (x: number, y: number, idx: number) => void, rowAt: (r: number) => number): void {
  const rle8 = h.compression === 1;
  const { width: w, height: ht } = h;
  for (let r = 0; r < ht; r++) for (let x = 0; x < w; x++) putIndex(x, rowAt(r), 0);
  let p = h.dataOffset;
  let x = 0;
  let r = 0;
  const put = (idx: number) => {
    if (x < w && r < ht) putIndex(x, rowAt(r), idx);
    x++;
  };
  for (;;) {
    if (p + 2 > data.length) {
      if (r >= ht - 1 && x >= w) return; // every pixel was written; only the end marker is missing
      throw new ValidationError('damaged', `BMP ${rle8 ? 'RLE8' : 'RLE4'} data ends at row ${r + 1} of ${ht}, before its end-of-bitmap marker`);
    }
    const n = data[p]!;
    const c = data[p + 1]!;
    p += 2;
    if (n > 0) {
      for (let i = 0; i < n; i++) put(rle8 ? c : i & 1 ? c & 15 : c >> 4);
    } else if (c === 0) {
      x = 0;
      r++;
    } else if (c === 1) {
      return;
    } else if (c === 2) {
      if (p + 2 > data.length) throw new ValidationError('damaged', `BMP ${rle8 ? 'RLE8' : 'RLE4'} data ends inside a move`);
      x += data[p]!;
      r += data[p + 1]!;
      p += 2;
    } else {
      const bytes = rle8 ? c : Math.ceil(c / 2);
      if (p + bytes > data.length) throw new ValidationError('damaged', `BMP ${rle8 ? 'RLE8' : 'RLE4'} data ends inside a literal run`);
      for (let i = 0; i < c; i++) put(rle8 ? data[p + i]! : i & 1 ? data[p + (i >> 1)]! & 15 : data[p + (i >> 1)]! >> 4);
      p += bytes + (bytes & 1);
    }
    if (r >= ht) return; // past the last row: whatever follows cannot land anywhere
  }
}
