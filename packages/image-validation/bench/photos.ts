import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

/**
 * Photo-like 500x375 JPEGs (the Kaggle median size), quality 90: smooth gradients, soft shapes
 * and sensor-like noise, so the entropy coder sees data like a photo's, not flat colour.
 */
export async function photoFolder(dir: string, n: number): Promise<string[]> {
  const files = Array.from({ length: n }, (_, i) => path.join(dir, `${i}.jpg`));
  if (files.every((f) => existsSync(f))) return files;
  await fsp.mkdir(dir, { recursive: true });
  const w = 500;
  const h = 375;
  for (let k = 0; k < n; k++) {
    let s = (k + 1) * 2654435761;
    const rnd = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    const base = [rnd() * 255, rnd() * 255, rnd() * 255];
    const slope = [rnd() - 0.5, rnd() - 0.5, rnd() - 0.5];
    const blobs = Array.from({ length: 6 }, () => ({ x: rnd() * w, y: rnd() * h, r: 20 + rnd() * 90, c: [rnd() * 255, rnd() * 255, rnd() * 255] }));
    const px = new Uint8ClampedArray(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          let v = base[c]! + slope[c]! * (x + y) * 0.6 + 25 * Math.sin(x / 37 + c) * Math.cos(y / 23);
          for (const b of blobs) {
            const d = Math.hypot(x - b.x, y - b.y);
            if (d < b.r) v += (b.c[c]! - v) * (1 - d / b.r) * 0.8;
          }
          px[i + c] = v + (rnd() - 0.5) * 10;
        }
      }
    }
    await sharp(Buffer.from(px.buffer), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(files[k]!);
  }
  return files;
}
