/**
 * Keras' RandomFlip and RandomRotation on interleaved uint8 images, on the CPU (Option 2 of the
 * tutorial: augment in the data pipeline, not in the model).
 *
 * RandomRotation(factor): angle uniform in [lower, upper] * 2π (a number f means [-f, f]),
 * rotated about the image centre with the matrix of keras/src/layers/preprocessing/
 * image_preprocessing/random_rotation.py, sampled like TF's ImageProjectiveTransformV3
 * (tensorflow/core/kernels/image/image_ops.h): each output pixel (x, y) reads input
 * (cos·x − sin·y + ox, sin·x + cos·y + oy); REFLECT maps coordinates as (d c b a | a b c d |
 * d c b a) and clamps; bilinear interpolation. Results are rounded to uint8.
 */
import type { MT19937 } from './mt19937';

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

export interface AugmentOptions {
  flip?: FlipMode;
  /** Keras RandomRotation factor: f for [-f, f], or [lower, upper], in fractions of a full turn. */
  rotation?: number | [number, number];
}

/** What was drawn for one image. */
export interface ImageAugmentation {
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** Radians, counter-clockwise as Keras' matrix has it. */
  angle: number;
}

/**
 * Draws one image's augmentation. Always consumes three doubles (flip-h, flip-v, angle), whatever
 * the options, so image k of a batch gets the same draws whichever other images fail to load.
 */
export function drawAugmentation(rng: MT19937, opts: AugmentOptions): ImageAugmentation {
  const uh = rng.nextDouble();
  const uv = rng.nextDouble();
  const ua = rng.nextDouble();
  const flip = opts.flip;
  const [lo, hi] = rotationRange(opts.rotation);
  return {
    flipHorizontal: (flip === 'horizontal' || flip === 'horizontal_and_vertical') && uh < 0.5,
    flipVertical: (flip === 'vertical' || flip === 'horizontal_and_vertical') && uv < 0.5,
    angle: lo === hi ? lo * 2 * Math.PI : (lo + (hi - lo) * ua) * 2 * Math.PI,
  };
}

export function rotationRange(rotation: number | [number, number] | undefined): [number, number] {
  if (rotation === undefined) return [0, 0];
  if (typeof rotation === 'number') return [-Math.abs(rotation), Math.abs(rotation)];
  return rotation;
}

/** In place: mirror left-right and/or top-bottom. */
export function flipImage(data: Uint8Array, width: number, height: number, channels: number, horizontal: boolean, vertical: boolean): void {
  const stride = width * channels;
  if (horizontal) {
    for (let y = 0; y < height; y++) {
      let a = y * stride;
      let b = a + stride - channels;
      while (a < b) {
        for (let k = 0; k < channels; k++) {
          const t = data[a + k]!;
          data[a + k] = data[b + k]!;
          data[b + k] = t;
        }
        a += channels;
        b -= channels;
      }
    }
  }
  if (vertical) {
    const tmp = new Uint8Array(stride);
    for (let y = 0, z = height - 1; y < z; y++, z--) {
      tmp.set(data.subarray(y * stride, (y + 1) * stride));
      data.copyWithin(y * stride, z * stride, (z + 1) * stride);
      data.set(tmp, z * stride);
    }
  }
}

/** TF map_coordinate for FILL_REFLECT, then clamped to [0, len - 1]. */
function reflect(c: number, len: number): number {
  if (c < 0) {
    if (len <= 1) return 0;
    const sz2 = 2 * len;
    if (c < sz2) c = sz2 * Math.trunc(-c / sz2) + c;
    c = c < -len ? c + sz2 : -c - 1;
  } else if (c > len - 1) {
    if (len <= 1) return 0;
    const sz2 = 2 * len;
    c -= sz2 * Math.trunc(c / sz2);
    if (c >= len) c = sz2 - c - 1;
  }
  return c < 0 ? 0 : c > len - 1 ? len - 1 : c;
}

/**
 * Rotates `src` by `angle` into `out` (same size). Interior pixels take a fast path; only
 * samples whose 2x2 neighbourhood leaves the image go through the reflect mapping.
 */
export function rotateImage(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  angle: number,
  out: Uint8Array = new Uint8Array(src.length),
): Uint8Array {
  // Math.fround: TF computes the transform in float32.
  const cos = Math.fround(Math.cos(angle));
  const sin = Math.fround(Math.sin(angle));
  const ox = Math.fround((width - 1 - (cos * (width - 1) - sin * (height - 1))) / 2);
  const oy = Math.fround((height - 1 - (sin * (width - 1) + cos * (height - 1))) / 2);
  const stride = width * channels;
  const maxX = width - 1;
  const maxY = height - 1;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const rowX = -sin * y + ox;
    const rowY = cos * y + oy;
    for (let x = 0; x < width; x++) {
      // Per pixel, not accumulated: TF evaluates the matrix at each (x, y).
      let sx = cos * x + rowX;
      let sy = sin * x + rowY;
      if (!(sx >= 0 && sx <= maxX && sy >= 0 && sy <= maxY)) {
        sx = reflect(sx, width);
        sy = reflect(sy, height);
      }
      // sx, sy >= 0 here, so truncation is floor.
      const x0 = sx | 0;
      const y0 = sy | 0;
      const fx = sx - x0;
      const fy = sy - y0;
      // A tap one past the edge has weight 0 (TF reads the fill value there): reuse the edge.
      const dx = x0 < maxX ? channels : 0;
      const dy = y0 < maxY ? stride : 0;
      const p00 = y0 * stride + x0 * channels;
      const p10 = p00 + dy;
      if (channels === 3) {
        let top = src[p00]! + (src[p00 + dx]! - src[p00]!) * fx;
        let bot = src[p10]! + (src[p10 + dx]! - src[p10]!) * fx;
        out[o] = top + (bot - top) * fy + 0.5; // within [0, 255]: truncation rounds half up
        top = src[p00 + 1]! + (src[p00 + dx + 1]! - src[p00 + 1]!) * fx;
        bot = src[p10 + 1]! + (src[p10 + dx + 1]! - src[p10 + 1]!) * fx;
        out[o + 1] = top + (bot - top) * fy + 0.5;
        top = src[p00 + 2]! + (src[p00 + dx + 2]! - src[p00 + 2]!) * fx;
        bot = src[p10 + 2]! + (src[p10 + dx + 2]! - src[p10 + 2]!) * fx;
        out[o + 2] = top + (bot - top) * fy + 0.5;
        o += 3;
        continue;
      }
      for (let k = 0; k < channels; k++) {
        const top = src[p00 + k]! + (src[p00 + dx + k]! - src[p00 + k]!) * fx;
        const bot = src[p10 + k]! + (src[p10 + dx + k]! - src[p10 + k]!) * fx;
        out[o++] = top + (bot - top) * fy + 0.5;
      }
    }
  }
  return out;
}
