/**
 * The odd-but-usable and odd-and-broken files the validation rules of issue 11 are about:
 * an OS/2 bitmap, a BMP whose pixels index past its palette, PNGs with leftover IDAT data or a
 * broken APNG frame sequence, and a JPEG whose Exif block is cut short.
 */
import { crc32, deflateSync } from 'node:zlib';
import { writeBottomUpBgr } from './jpeg-bytes';

/** A 24-bit OS/2 1.x bitmap: 12-byte BITMAPCOREHEADER with 16-bit sizes, bottom-up rows. */
export function encodeOs2Bmp(rgb: Buffer, width: number, height: number): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(26 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(26, 10);
  out.writeUInt32LE(12, 14);
  out.writeUInt16LE(width, 18);
  out.writeUInt16LE(height, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt16LE(24, 24);
  writeBottomUpBgr(out, 26, stride, rgb, width, height);
  return out;
}

/**
 * An 8-bit BMP with a 16-colour palette whose pixels use indices up to 31: half of them point
 * past the palette's end (ImageMagick: "invalid colormap index").
 */
export function encodeBmpPaletteOverrun(rgb: Buffer, width: number, height: number): Buffer {
  const stride = Math.ceil(width / 4) * 4;
  const colours = 16;
  const offset = 54 + colours * 4;
  const out = Buffer.alloc(offset + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(8, 28);
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(colours, 46);
  for (let i = 0; i < colours; i++) out.set([i * 16, 255 - i * 16, 128, 0], 54 + i * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[offset + (height - 1 - y) * stride + x] = rgb[(y * width + x) * 3]! >> 3; // 0..31
  }
  return out;
}

type Chunk = [type: string, data: Buffer];

function chunksOf(png: Buffer): Chunk[] {
  const out: Chunk[] = [];
  for (let p = 8; p + 12 <= png.length; ) {
    const len = png.readUInt32BE(p);
    out.push([png.toString('latin1', p + 4, p + 8), png.subarray(p + 8, p + 8 + len)]);
    p += 12 + len;
  }
  return out;
}

function pngOf(chunks: Chunk[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const [type, data] of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    parts.push(head, data, crc);
  }
  return Buffer.concat(parts);
}

/** A second zlib stream appended to the last IDAT chunk (libpng: "IDAT: Extra compressed data"). */
export function withExtraIdatData(png: Buffer, extra: Buffer): Buffer {
  const chunks = chunksOf(png);
  const last = chunks.map((c) => c[0]).lastIndexOf('IDAT');
  chunks[last] = ['IDAT', Buffer.concat([chunks[last]![1], deflateSync(extra)])];
  return pngOf(chunks);
}

/**
 * An APNG whose second frame has a frame control (fcTL) but no frame data (fdAT): acTL declares
 * 2 frames, the default image is frame 0. Pillow: "no more images in APNG file".
 */
export function asApngMissingFrame(png: Buffer, width: number, height: number): Buffer {
  const chunks = chunksOf(png);
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(2, 0);
  const fctl = (seq: number) => {
    const d = Buffer.alloc(26);
    d.writeUInt32BE(seq, 0);
    d.writeUInt32BE(width, 4);
    d.writeUInt32BE(height, 8);
    d.writeUInt16BE(1, 20);
    d.writeUInt16BE(10, 22);
    return d;
  };
  const first = chunks.findIndex((c) => c[0] === 'IDAT');
  const last = chunks.map((c) => c[0]).lastIndexOf('IDAT');
  return pngOf([...chunks.slice(0, first), ['acTL', actl], ['fcTL', fctl(0)], ...chunks.slice(first, last + 1), ['fcTL', fctl(1)], ...chunks.slice(last + 1)]);
}

/**
 * An Exif APP1 (after the JPEG's first segment) whose IFD0 says it has 6 entries but whose
 * segment holds only 2: the block is cut short, the image data after it is whole.
 */
export function withTruncatedExif(jpeg: Buffer): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 2 * 12);
  tiff.write('II*\0', 0, 'latin1');
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(6, 8);
  tiff.set([0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0], 10); // Orientation = 1
  tiff.set([0x28, 0x01, 3, 0, 1, 0, 0, 0, 2, 0, 0, 0], 22); // ResolutionUnit = inch
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(2 + 6 + tiff.length, 2);
  // After SOI and the JFIF APP0 (its length at bytes 4-5), where cameras put APP1.
  const at = jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
  return Buffer.concat([jpeg.subarray(0, at), head, Buffer.from('Exif\0\0', 'latin1'), tiff, jpeg.subarray(at)]);
}
