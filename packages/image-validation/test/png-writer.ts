/** PNG and APNG files assembled chunk by chunk for the tests (PNG spec 5.3; APNG specification). */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export type Chunk = [type: string, data: Buffer];

export function pngFile(chunks: Chunk[]): Buffer {
  const parts: Buffer[] = [SIGNATURE];
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

/** IHDR for 8-bit RGB (colour type 2), optionally Adam7-interlaced. */
export function ihdr(width: number, height: number, interlace = 0): Chunk {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = 8;
  d[9] = 2;
  d[12] = interlace;
  return ['IHDR', d];
}

/** Filtered scanlines (filter 0) of an RGB picture, non-interlaced. */
export function scanlines(width: number, height: number, seed = 1): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 40 + seed) & 255, (y * 60) & 255, (x * y * 7 + seed * 3) & 255], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat(rows);
}

export const idat = (raw: Buffer): Chunk => ['IDAT', deflateSync(raw)];
export const iend = (): Chunk => ['IEND', Buffer.alloc(0)];

export function actl(frames: number, plays = 0): Chunk {
  const d = Buffer.alloc(8);
  d.writeUInt32BE(frames, 0);
  d.writeUInt32BE(plays, 4);
  return ['acTL', d];
}

export function fctl(seq: number, width: number, height: number, x = 0, y = 0): Chunk {
  const d = Buffer.alloc(26);
  d.writeUInt32BE(seq, 0);
  d.writeUInt32BE(width, 4);
  d.writeUInt32BE(height, 8);
  d.writeUInt32BE(x, 12);
  d.writeUInt32BE(y, 16);
  d.writeUInt16BE(1, 20); // delay 1/10 s
  d.writeUInt16BE(10, 22);
  return ['fcTL', d];
}

export function fdat(seq: number, raw: Buffer): Chunk {
  const s = Buffer.alloc(4);
  s.writeUInt32BE(seq, 0);
  return ['fdAT', Buffer.concat([s, deflateSync(raw)])];
}

/** A sound two-frame APNG, W x H, whose second frame is a (W-2) x (H-2) patch at (1, 1). */
export function apng(w: number, h: number, edit: (chunks: Chunk[]) => Chunk[] = (c) => c): Buffer {
  return pngFile(edit([ihdr(w, h), actl(2), fctl(0, w, h), idat(scanlines(w, h)), fctl(1, w - 2, h - 2, 1, 1), fdat(2, scanlines(w - 2, h - 2, 5)), iend()]));
}
