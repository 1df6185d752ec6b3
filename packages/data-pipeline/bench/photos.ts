/**
 * Photo-like 500x375 JPEGs for the benchmark: smooth two-axis gradients, sensor-like noise and a
 * few soft shapes, quality 90 (content with real entropy, so decoding costs what photos cost).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { MT19937 } from '../src/mt19937';

export const PHOTO_W = 500;
export const PHOTO_H = 375;

export async function ensurePhotos(dir: string, count: number): Promise<string> {
  const marker = path.join(dir, `.complete-${count}`);
  if (await fs.stat(marker).then(() => true, () => false)) return dir;
  const rng = MT19937.fromSeed(2024);
  const rand = () => rng.nextDouble();
  for (let i = 0; i < count; i++) {
    const cls = i % 2 === 0 ? 'Cat' : 'Dog';
    await fs.mkdir(path.join(dir, cls), { recursive: true });
    await sharp(photo(rand), { raw: { width: PHOTO_W, height: PHOTO_H, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, cls, `${i}.jpg`));
  }
  await fs.writeFile(marker, '');
  return dir;
}

function photo(rand: () => number): Buffer {
  const w = PHOTO_W;
  const h = PHOTO_H;
  const px = Buffer.alloc(w * h * 3);
  const corner = () => [rand() * 255, rand() * 255, rand() * 255];
  const [c00, c10, c01, c11] = [corner(), corner(), corner(), corner()];
  const shapes = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => ({
    cx: rand() * w,
    cy: rand() * h,
    r: 20 + rand() * 90,
    col: corner(),
    soft: 4 + rand() * 12,
  }));
  for (let y = 0; y < h; y++) {
    const v = y / (h - 1);
    for (let x = 0; x < w; x++) {
      const u = x / (w - 1);
      const o = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) {
        let val = (1 - u) * (1 - v) * c00[k]! + u * (1 - v) * c10[k]! + (1 - u) * v * c01[k]! + u * v * c11[k]!;
        for (const s of shapes) {
          const d = Math.hypot(x - s.cx, y - s.cy) - s.r;
          if (d < s.soft) {
            const a = d <= 0 ? 1 : 1 - d / s.soft;
            val = val * (1 - a) + s.col[k]! * a;
          }
        }
        val += (rand() - 0.5) * 16; // noise
        px[o + k] = val < 0 ? 0 : val > 255 ? 255 : val;
      }
    }
  }
  return px;
}
