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
import { instantiateKernel, memoryOf, type WasmMemory } from './wasm';
import { ROTATE_WASM_BASE64 } from './wasm-kernels';

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

/** Output (x, y) reads input (a x + b y + c, d x + e y + f). */
interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

/** Keras random_rotation.py's matrix (about the centre), in float32 like TF, with flips folded in. */
function rotationMatrix(width: number, height: number, angle: number, flipHorizontal: boolean, flipVertical: boolean): Affine {
  const cos = Math.fround(Math.cos(angle));
  const sin = Math.fround(Math.sin(angle));
  const m = {
    a: cos,
    b: -sin,
    c: Math.fround((width - 1 - (cos * (width - 1) - sin * (height - 1))) / 2),
    d: sin,
    e: cos,
    f: Math.fround((height - 1 - (sin * (width - 1) + cos * (height - 1))) / 2),
  };
  // Mirroring commutes with bilinear sampling and with TF's REFLECT mapping: x_in -> w-1-x_in.
  if (flipHorizontal) {
    m.a = -m.a;
    m.b = -m.b;
    m.c = width - 1 - m.c;
  }
  if (flipVertical) {
    m.d = -m.d;
    m.e = -m.e;
    m.f = height - 1 - m.f;
  }
  return m;
}

/**
 * Rotates `src` by `angle` into `out` (same size), optionally flipping it first (folded into the
 * sampling matrix, so flip + rotate is one pass).
 *
 * Coordinates step in 16.16 fixed point along a row (started exactly per row) and the bilinear
 * weights are 10-bit integers: within one uint8 level of TF's float32 result. RGB images go
 * through a WebAssembly SIMD kernel (src/rotate.wat, about 2x faster) whenever every sample lies
 * within one reflection of the image, which covers any angle on images that are not extremely
 * elongated; the JS loop gives bit-identical results and handles the rest.
 */
export function rotateImage(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  angle: number,
  out: Uint8Array = new Uint8Array(src.length),
  flipHorizontal = false,
  flipVertical = false,
  kernel: 'auto' | 'js' = 'auto',
): Uint8Array {
  const m = rotationMatrix(width, height, angle, flipHorizontal, flipVertical);
  if (kernel === 'auto' && channels === 3 && rotateWasm(src, width, height, m, out)) return out;
  return rotateJs(src, width, height, channels, m, out);
}

function rotateJs(src: Uint8Array, width: number, height: number, channels: number, m: Affine, out: Uint8Array): Uint8Array {
  const { a, b, c, d, e, f } = m;
  const FX = 65536;
  const rgb = channels === 3;
  const stride = width * channels;
  const maxXF = (width - 1) * FX;
  const maxYF = (height - 1) * FX;
  const stepX = Math.round(a * FX) | 0;
  const stepY = Math.round(d * FX) | 0;
  const maxX = width - 1;
  const maxY = height - 1;
  const reflX = 2 * width * FX - FX; // c > len - 1  ->  2 len - 1 - c
  const reflY = 2 * height * FX - FX;
  // One reflection maps [-len, 2 len) back into the image; farther samples take the float path.
  const lowX = -width * FX;
  const lowY = -height * FX;
  const highX = 2 * width * FX;
  const highY = 2 * height * FX;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const rowX = b * y + c;
    const rowY = e * y + f;
    let sx = Math.round(rowX * FX) | 0;
    let sy = Math.round(rowY * FX) | 0;
    for (let x = 0; x < width; x++, sx += stepX, sy += stepY, o += channels) {
      let px = sx;
      let py = sy;
      if (px < 0 || px > maxXF || py < 0 || py > maxYF) {
        if (!rgb || px < lowX || px >= highX || py < lowY || py >= highY || maxX === 0 || maxY === 0) {
          sampleReflected(src, width, height, channels, a * x + rowX, d * x + rowY, out, o);
          continue;
        }
        // REFLECT, one reflection (enough for any angle's overshoot), then clamp: all integer.
        px = px < 0 ? -px - FX : px > maxXF ? reflX - px : px;
        py = py < 0 ? -py - FX : py > maxYF ? reflY - py : py;
        px = px < 0 ? 0 : px > maxXF ? maxXF : px;
        py = py < 0 ? 0 : py > maxYF ? maxYF : py;
      } else if (!rgb) {
        sampleReflected(src, width, height, channels, a * x + rowX, d * x + rowY, out, o);
        continue;
      }
      const x0 = px >> 16;
      const y0 = py >> 16;
      const fx = (px & 0xffff) >> 6;
      const fy = (py & 0xffff) >> 6;
      const p00 = y0 * stride + x0 * 3;
      // A tap one past the edge has weight 0 (TF reads the fill value there): reuse the edge.
      const p01 = x0 < maxX ? p00 + 3 : p00;
      const dy = y0 < maxY ? stride : 0;
      const p10 = p00 + dy;
      const p11 = p01 + dy;
      // Two lerps per channel in 10-bit fixed point: across (top and bottom rows), then down.
      let t = src[p00]!;
      let u = src[p10]!;
      t = (t << 10) + (src[p01]! - t) * fx;
      u = (u << 10) + (src[p11]! - u) * fx;
      out[o] = ((t << 10) + (u - t) * fy + 524288) >> 20;
      t = src[p00 + 1]!;
      u = src[p10 + 1]!;
      t = (t << 10) + (src[p01 + 1]! - t) * fx;
      u = (u << 10) + (src[p11 + 1]! - u) * fx;
      out[o + 1] = ((t << 10) + (u - t) * fy + 524288) >> 20;
      t = src[p00 + 2]!;
      u = src[p10 + 2]!;
      t = (t << 10) + (src[p01 + 2]! - t) * fx;
      u = (u << 10) + (src[p11 + 2]! - u) * fx;
      out[o + 2] = ((t << 10) + (u - t) * fy + 524288) >> 20;
    }
  }
  return out;
}

/** Bilinear at fixed-point (px, py) inside the image; a tap one past the edge (weight 0) reuses the edge. */
function bilinearAt(src: Uint8Array, width: number, height: number, channels: number, px: number, py: number, out: Uint8Array, o: number): void {
  const x0 = px >> 16;
  const y0 = py >> 16;
  const fx = (px & 0xffff) >> 6;
  const fy = (py & 0xffff) >> 6;
  const dx = x0 < width - 1 ? channels : 0;
  const p00 = (y0 * width + x0) * channels;
  const p10 = p00 + (y0 < height - 1 ? width * channels : 0);
  const w00 = (1024 - fx) * (1024 - fy);
  const w01 = fx * (1024 - fy);
  const w10 = (1024 - fx) * fy;
  const w11 = fx * fy;
  for (let k = 0; k < channels; k++) {
    out[o + k] = (src[p00 + k]! * w00 + src[p00 + dx + k]! * w01 + src[p10 + k]! * w10 + src[p10 + dx + k]! * w11 + 524288) >> 20;
  }
}

/** The general case: TF's REFLECT mapping, then bilinear with edge taps of weight 0 reusing the edge. */
function sampleReflected(src: Uint8Array, width: number, height: number, channels: number, ix: number, iy: number, out: Uint8Array, o: number): void {
  bilinearAt(src, width, height, channels, Math.round(reflect(ix, width) * 65536), Math.round(reflect(iy, height) * 65536), out, o);
}

interface RotateKernel {
  memory: WasmMemory;
  rotate3: (src: number, dst: number, w: number, h: number, b: number, c: number, e: number, f: number, stepX: number, stepY: number) => void;
}

let rotateKernel: RotateKernel | null | undefined;

function loadWasmKernel(): RotateKernel | null {
  if (rotateKernel === undefined) rotateKernel = instantiateKernel<RotateKernel>(ROTATE_WASM_BASE64);
  return rotateKernel;
}

/** Which kernel rotateImage uses for RGB images here: 'wasm-simd', or 'js' without WebAssembly SIMD. */
export function rotationKernel(): 'wasm-simd' | 'js' {
  return loadWasmKernel() ? 'wasm-simd' : 'js';
}

function rotateWasm(src: Uint8Array, width: number, height: number, m: Affine, out: Uint8Array): boolean {
  if (width < 2 || height < 2) return false;
  // The map is affine, so its extremes are at the corners; a pixel of margin covers the drift of
  // the per-row fixed-point stepping.
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]] as const) {
    const ix = m.a * x + m.b * y + m.c;
    const iy = m.d * x + m.e * y + m.f;
    if (!(ix >= -width + 1 && ix < 2 * width - 1 && iy >= -height + 1 && iy < 2 * height - 1)) return false;
  }
  const k = loadWasmKernel();
  if (!k) return false;
  const n = width * height * 3;
  const dst = n + 16; // 4 bytes of slack after each image, rounded up
  const mem = memoryOf(k.memory, dst + n + 16);
  mem.set(src.subarray(0, n), 0);
  const FX = 65536;
  k.rotate3(0, dst, width, height, m.b, m.c, m.e, m.f, Math.round(m.a * FX) | 0, Math.round(m.d * FX) | 0);
  out.set(mem.subarray(dst, dst + n));
  return true;
}
