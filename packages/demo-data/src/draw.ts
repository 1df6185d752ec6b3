import type { Rng } from './rng';
import type { Paint, Shape } from './shapes';

export interface Picture {
  width: number;
  height: number;
  /** Interleaved RGB, row-major. */
  rgb: Buffer;
}

type RGB = [number, number, number];

/** HSV (h in turns, s and v in 0..1) to RGB 0..255. */
function hsv(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][((i % 6) + 6) % 6]!;
  return [r! * 255, g! * 255, b! * 255];
}

const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

const PAINTS: readonly Paint[] = ['fur', 'dark', 'light', 'inner', 'eye'];
/** Shapes are rasterised once into a paint-index mask this many cells wide (finer than any head drawn). */
const MASK_SIZE = 512;
const masks = new Map<Shape, Uint8Array>();

/** The shape's parts painted in order into a MASK_SIZE² grid over [-extent, extent]² (0 = outside). */
function maskOf(shape: Shape): Uint8Array {
  let m = masks.get(shape);
  if (m) return m;
  m = new Uint8Array(MASK_SIZE * MASK_SIZE);
  const step = (2 * shape.extent) / MASK_SIZE;
  for (let j = 0; j < MASK_SIZE; j++) {
    const v = -shape.extent + (j + 0.5) * step;
    for (let i = 0; i < MASK_SIZE; i++) {
      const u = -shape.extent + (i + 0.5) * step;
      let paint = 0;
      for (const p of shape.parts) if (p.inside(u, v)) paint = PAINTS.indexOf(p.paint) + 1;
      m[j * MASK_SIZE + i] = paint;
    }
  }
  masks.set(shape, m);
  return m;
}

/** Sizes like the Kaggle photos: each side 150 to 500 pixels. */
export const MIN_SIDE = 150;
export const MAX_SIDE = 500;

/**
 * Draws one picture: a textured background (two sine gratings, a light gradient, a few soft
 * blobs, pixel noise) and one animal head of the class shape. Every random choice except the
 * shape comes from the same distribution for every class.
 */
export function drawPicture(shape: Shape, rng: Rng, size?: { width: number; height: number }): Picture {
  // The demo draws its own size; a caller that chose one (Kaggle-shaped folders) passes it.
  const width = size ? size.width : rng.int(MIN_SIDE, MAX_SIDE);
  const height = size ? size.height : rng.int(MIN_SIDE, MAX_SIDE);
  // Uint8ClampedArray clamps and rounds on store, so the hot loops need no clamp().
  const px = new Uint8ClampedArray(width * height * 3);

  // Colours: background and fur differ in brightness by at least 0.3 so the head stands out.
  const bgV = rng.range(0.2, 0.95);
  const bg = hsv(rng.next(), rng.range(0.05, 0.6), bgV);
  let furV = rng.range(0.15, 0.95);
  for (let tries = 0; Math.abs(furV - bgV) < 0.3 && tries < 32; tries++) furV = rng.range(0.15, 0.95);
  if (Math.abs(furV - bgV) < 0.3) furV = bgV > 0.55 ? bgV - 0.4 : bgV + 0.4;
  const fur = hsv(rng.next(), rng.range(0.05, 0.7), furV);

  // Background texture: two gratings sin(kx*x + ky*y + phase), separable per row and column.
  const gratings = [0, 1].map(() => {
    const k = rng.range(0.03, 0.2);
    const a = rng.next() * Math.PI;
    const phase = rng.next() * 2 * Math.PI;
    const amp = rng.range(6, 28);
    const kx = k * Math.cos(a);
    const ky = k * Math.sin(a);
    const sx = new Float32Array(width);
    const cx = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      sx[x] = Math.sin(kx * x) * amp;
      cx[x] = Math.cos(kx * x) * amp;
    }
    const sy = new Float32Array(height);
    const cy = new Float32Array(height);
    for (let y = 0; y < height; y++) {
      sy[y] = Math.sin(ky * y + phase);
      cy[y] = Math.cos(ky * y + phase);
    }
    return { sx, cx, sy, cy };
  });
  const gradient = rng.range(-40, 40);
  const blobs = Array.from({ length: rng.int(0, 3) }, () => ({
    x: rng.range(0, width),
    y: rng.range(0, height),
    r2: (rng.range(0.08, 0.3) * Math.min(width, height)) ** 2,
    colour: hsv(rng.next(), rng.range(0.1, 0.6), rng.range(0.2, 0.95)),
    alpha: rng.range(0.2, 0.5),
  }));
  const noiseAmp = rng.range(4, 14);
  const [g0, g1] = gratings as [typeof gratings[0], typeof gratings[0]];
  // Pixel noise from a local xorshift32 seeded by the picture's stream: the hot loop stays in registers.
  let x32 = rng.u32() | 1;
  const nScale = (2 * noiseAmp) / 255;
  const [br, bgc, bb] = bg;
  const sx0 = g0.sx, cx0 = g0.cx, sx1 = g1.sx, cx1 = g1.cx;
  const nb = blobs.length;
  const bl = new Float64Array(nb * 7);
  blobs.forEach((o, k) => bl.set([o.x, o.y, o.r2, o.colour[0], o.colour[1], o.colour[2], o.alpha], k * 7));
  for (let y = 0; y < height; y++) {
    const light = gradient * (y / height - 0.5);
    const c0y = g0.cy[y]!, s0y = g0.sy[y]!, c1y = g1.cy[y]!, s1y = g1.sy[y]!;
    let i = y * width * 3;
    for (let x = 0; x < width; x++, i += 3) {
      let r = br, g = bgc, b = bb;
      for (let k = 0; k < nb * 7; k += 7) {
        const dx = x - bl[k]!, dy = y - bl[k + 1]!;
        if (dx * dx + dy * dy < bl[k + 2]!) {
          const a = bl[k + 6]!;
          r += (bl[k + 3]! - r) * a;
          g += (bl[k + 4]! - g) * a;
          b += (bl[k + 5]! - b) * a;
        }
      }
      const tex = sx0[x]! * c0y + cx0[x]! * s0y + sx1[x]! * c1y + cx1[x]! * s1y + light;
      x32 ^= x32 << 13;
      x32 ^= x32 >>> 17;
      x32 ^= x32 << 5;
      px[i] = r + tex + ((x32 & 255) - 127.5) * nScale;
      px[i + 1] = g + tex + (((x32 >>> 8) & 255) - 127.5) * nScale;
      px[i + 2] = b + tex + (((x32 >>> 16) & 255) - 127.5) * nScale;
    }
  }

  // The head: size, place, tilt and mirror drawn the same way for every class.
  const side = Math.min(width, height);
  const r = rng.range(0.15, 0.25) * side;
  const extent = Math.min(shape.extent * r, side / 2);
  const hx = rng.range(extent, width - extent);
  const hy = rng.range(extent, height - extent);
  const tilt = rng.range(-0.5, 0.5);
  const mirror = rng.next() < 0.5 ? -1 : 1;
  const paints: Record<Paint, RGB> = {
    fur,
    dark: mix(fur, [0, 0, 0], 0.5),
    light: mix(fur, [255, 255, 255], 0.55),
    inner: mix(fur, [235, 150, 165], 0.6),
    eye: [22, 18, 18],
  };
  const cos = Math.cos(tilt);
  const sin = Math.sin(tilt);
  const reach = shape.extent * r;
  const x0 = Math.max(0, Math.floor(hx - reach));
  const x1 = Math.min(width - 1, Math.ceil(hx + reach));
  const y0 = Math.max(0, Math.floor(hy - reach));
  const y1 = Math.min(height - 1, Math.ceil(hy + reach));
  const mask = maskOf(shape);
  const scale = MASK_SIZE / (2 * shape.extent);
  const palette = PAINTS.map((p) => paints[p]);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x - hx;
      const dy = y - hy;
      const u = (mirror * (dx * cos + dy * sin)) / r;
      const v = (-dx * sin + dy * cos) / r;
      const mx = Math.floor((u + shape.extent) * scale);
      const my = Math.floor((v + shape.extent) * scale);
      if (mx < 0 || my < 0 || mx >= MASK_SIZE || my >= MASK_SIZE) continue;
      const paint = mask[my * MASK_SIZE + mx]!;
      if (paint === 0) continue;
      const c = palette[paint - 1]!;
      const shade = 1 - 0.12 * (u + v) / shape.extent;
      x32 ^= x32 << 13;
      x32 ^= x32 >>> 17;
      x32 ^= x32 << 5;
      const i = (y * width + x) * 3;
      px[i] = c[0] * shade + ((x32 & 255) - 127.5) * 0.0627;
      px[i + 1] = c[1] * shade + (((x32 >>> 8) & 255) - 127.5) * 0.0627;
      px[i + 2] = c[2] * shade + (((x32 >>> 16) & 255) - 127.5) * 0.0627;
    }
  }
  return { width, height, rgb: Buffer.from(px.buffer, px.byteOffset, px.byteLength) };
}
