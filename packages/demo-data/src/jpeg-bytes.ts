/** Byte-level edits of JPEG files (ITU-T T.81 Annex B marker layout) and a minimal BMP writer. */

/** JFIF 1.01 APP0, no thumbnail, 1:1 aspect: what most cameras' and editors' JPEGs start with. */
const JFIF_APP0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);

/** A minimal Exif APP1: TIFF header (little endian) and IFD0 with one entry, Orientation = 1. */
const EXIF_APP1 = Buffer.from([
  0xff, 0xe1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00, // FFE1, length 34, "Exif\0\0"
  0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00, // "II", 42, IFD0 at offset 8
  0x01, 0x00, // one entry
  0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // Orientation SHORT 1 = 1
  0x00, 0x00, 0x00, 0x00, // no next IFD
]);

function assertJpeg(b: Buffer): void {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw new Error('not a JPEG (no SOI marker)');
}

/** libvips writes no JFIF segment; real photos nearly always have one (and the Keras filter wants it). */
export function withJfif(jpeg: Buffer): Buffer {
  assertJpeg(jpeg);
  return Buffer.concat([jpeg.subarray(0, 2), JFIF_APP0, jpeg.subarray(2)]);
}

/** An Exif-only JPEG, as cameras write them: APP1 Exif right after SOI, no JFIF APP0 anywhere. */
export function withExifOnly(jpeg: Buffer): Buffer {
  assertJpeg(jpeg);
  return Buffer.concat([jpeg.subarray(0, 2), EXIF_APP1, jpeg.subarray(2)]);
}

/** Finds the first SOFn segment; returns the offset of its marker. */
function findSof(jpeg: Buffer): number {
  let p = 2;
  while (p + 4 <= jpeg.length && jpeg[p] === 0xff) {
    const m = jpeg[p + 1]!;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return p;
    p += 2 + jpeg.readUInt16BE(p + 2);
  }
  throw new Error('no SOF marker');
}

/** Claims a gigantic size in the frame header (a decompression bomb's header) without the data. */
export function withClaimedSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = findSof(out);
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

/** Inserts junk bytes (never 0xFF) between the coded data and the EOI marker. */
export function withJunkBeforeEoi(jpeg: Buffer, junk: Buffer): Buffer {
  if (jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) throw new Error('JPEG does not end with EOI');
  const clean = Buffer.from(junk.map((b) => (b === 0xff ? 0x7f : b)));
  return Buffer.concat([jpeg.subarray(0, jpeg.length - 2), clean, jpeg.subarray(jpeg.length - 2)]);
}

/** A 24-bit bottom-up BMP (BITMAPFILEHEADER + BITMAPINFOHEADER), rows padded to 4 bytes. */
export function encodeBmp(rgb: Buffer, width: number, height: number): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  out.writeInt32LE(2835, 38); // 72 dpi
  out.writeInt32LE(2835, 42);
  writeBottomUpBgr(out, 54, stride, rgb, width, height);
  return out;
}

/** BMP pixel data: 24-bit rows, bottom row first, blue-green-red, each row `stride` bytes from `offset`. */
export function writeBottomUpBgr(out: Buffer, offset: number, stride: number, rgb: Buffer, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    const row = offset + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      out[row + x * 3] = rgb[s + 2]!;
      out[row + x * 3 + 1] = rgb[s + 1]!;
      out[row + x * 3 + 2] = rgb[s]!;
    }
  }
}
