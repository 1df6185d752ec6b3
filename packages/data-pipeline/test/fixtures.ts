/** Small generated images and folders for the tests (nothing binary is checked in). */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

export async function tempDir(prefix = 'pawpipe-dp-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A w x h RGB image whose pixel (x, y) is f(x, y). */
export function rgbImage(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      out.set([r, g, b], (y * w + x) * 3);
    }
  }
  return out;
}

/** Writes a PNG (lossless, so decoded pixels are known exactly). */
export async function writePng(file: string, w: number, h: number, rgb: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

/** A small image of one colour, in the format the extension names (jpg/jpeg/png/gif). */
export async function writeSolid(file: string, colour: [number, number, number], w = 8, h = 6): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } } });
  const ext = path.extname(file).toLowerCase();
  const buf =
    ext === '.png' ? await img.png().toBuffer() : ext === '.gif' ? await img.gif().toBuffer() : ext === '.bmp' ? bmp24(w, h, colour) : await img.jpeg({ quality: 95 }).toBuffer();
  await fs.writeFile(file, buf);
}

/** A minimal 24-bit BMP (BITMAPINFOHEADER, bottom-up rows, BGR, rows padded to 4 bytes). */
export function bmp24(w: number, h: number, colour: [number, number, number] | ((x: number, y: number) => [number, number, number])): Buffer {
  const rowBytes = Math.ceil((w * 3) / 4) * 4;
  const size = 54 + rowBytes * h;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(rowBytes * h, 34);
  for (let y = 0; y < h; y++) {
    const row = 54 + (h - 1 - y) * rowBytes;
    for (let x = 0; x < w; x++) {
      const [r, g, bl] = typeof colour === 'function' ? colour(x, y) : colour;
      b[row + x * 3] = bl;
      b[row + x * 3 + 1] = g;
      b[row + x * 3 + 2] = r;
    }
  }
  return b;
}

/** Writes many tiny files quickly: content does not matter for indexing tests. */
export async function touchAll(root: string, rels: string[]): Promise<void> {
  for (const rel of rels) {
    const file = path.join(root, ...rel.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, 'x');
  }
}

/** A folder of n images per class, each image a solid colour encoding (class, index). */
export async function makeImageFolder(root: string, classes: string[], perClass: number, ext = '.png', size: [number, number] = [12, 10]): Promise<void> {
  for (let c = 0; c < classes.length; c++) {
    for (let i = 0; i < perClass; i++) {
      await writeSolid(path.join(root, classes[c]!, `${String(i).padStart(3, '0')}${ext}`), [c * 100 + 20, i * 7, 200 - i * 5], size[0], size[1]);
    }
  }
}

/** An OS/2 1.x bitmap (12-byte BITMAPCOREHEADER, 16-bit sizes), 24-bit, bottom-up, one colour. */
export function bmpOs2(w: number, h: number, colour: [number, number, number]): Buffer {
  const rowBytes = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(26 + rowBytes * h);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(26, 10);
  b.writeUInt32LE(12, 14);
  b.writeUInt16LE(w, 18);
  b.writeUInt16LE(h, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt16LE(24, 24);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) b.set([colour[2], colour[1], colour[0]], 26 + y * rowBytes + x * 3);
  }
  return b;
}
