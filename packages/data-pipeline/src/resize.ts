/**
 * TensorFlow's `tf.image.resize` (antialias=False, the Keras default) on interleaved uint8
 * images, so a batch here holds the pixels Keras would feed the model (Keras keeps float32;
 * this rounds to the nearest uint8). Kernels follow tensorflow/core/kernels/image:
 * resize_bilinear_op.cc and resize_nearest_neighbor_op.cc with half_pixel_centers=True,
 * resize_bicubic_op.cc with half_pixel_centers (Keys cubic, a = -0.5, 1024-entry table,
 * out-of-range taps dropped and the rest renormalised), resize_area_op.cc.
 */
import type { Interpolation } from './options';
import { instantiateKernel, memoryOf, type WasmMemory } from './wasm';
import { RESIZE_WASM_BASE64 } from './wasm-kernels';

/** An interleaved uint8 image. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** A source window (Keras' crop_to_aspect_ratio crops before resizing). */
export interface Window {
  x: number;
  y: number;
  width: number;
  height: number;
}

const f32 = Math.fround;

/**
 * A byte array the caller writes whole: no zero fill, which a new Uint8Array pays for on every
 * image and batch (2-3% of a fast-decode first epoch, measured).
 */
export function uninitialised(bytes: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Keras image_utils.smart_resize: the largest centred window with the target aspect ratio. */
export function cropWindowForAspect(width: number, height: number, targetH: number, targetW: number): Window {
  // Keras casts through float32 then truncates to int32.
  const cropH = Math.min(height, Math.trunc(f32(f32(width * targetH) / targetW)));
  const cropW = Math.min(width, Math.trunc(f32(f32(height * targetW) / targetH)));
  const y = Math.trunc(f32(height - cropH) / 2);
  const x = Math.trunc(f32(width - cropW) / 2);
  return { x, y, width: cropW, height: cropH };
}

export function resizeImage(
  src: RawImage,
  outH: number,
  outW: number,
  method: Interpolation,
  window: Window = { x: 0, y: 0, width: src.width, height: src.height },
  out: Uint8Array = uninitialised(outH * outW * src.channels), // every kernel writes every byte
  kernel: 'auto' | 'js' = 'auto',
): Uint8Array {
  switch (method) {
    case 'bilinear':
      return resizeBilinear(src, window, outH, outW, out, kernel);
    case 'nearest':
      return resizeNearest(src, window, outH, outW, out);
    case 'bicubic':
      return resizeBicubic(src, window, outH, outW, out);
    case 'area':
      return resizeArea(src, window, outH, outW, out);
  }
}

// Round half up; bicubic overshoots [0, 255], so clamp first.
function toU8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
}

/** compute_interpolation_weights with HalfPixelScaler: in = (i + 0.5) * scale - 0.5. */
function linearTaps(outSize: number, inSize: number): { lo: Int32Array; hi: Int32Array; lerp: Float64Array } {
  const scale = f32(inSize / outSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const lerp = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const inPos = f32(f32(f32(i + 0.5) * scale) - 0.5);
    const inF = Math.floor(inPos);
    lo[i] = Math.max(inF, 0);
    hi[i] = Math.min(Math.ceil(inPos), inSize - 1);
    lerp[i] = f32(inPos - inF);
  }
  return { lo, hi, lerp };
}

/**
 * TF's resize_bilinear arithmetic in float32 (Math.fround after every operation), rounded half
 * up. RGB goes through the WebAssembly SIMD kernel (src/resize.wat, same float32 operations in
 * the same order, so bit-identical); other channel counts, or no WebAssembly SIMD, use this loop.
 */
function resizeBilinear(src: RawImage, win: Window, outH: number, outW: number, out: Uint8Array, kernel: 'auto' | 'js'): Uint8Array {
  const c = src.channels;
  const stride = src.width * c;
  const d = src.data;
  const ys = linearTaps(outH, win.height);
  const xs = linearTaps(outW, win.width);
  // Byte offsets of the left/right taps, including the window origin.
  const xl = new Int32Array(outW);
  const xr = new Int32Array(outW);
  for (let x = 0; x < outW; x++) {
    xl[x] = (win.x + xs.lo[x]!) * c;
    xr[x] = (win.x + xs.hi[x]!) * c;
  }
  if (kernel === 'auto' && c === 3 && bilinearWasm(src, win, ys, xl, xr, xs.lerp, outH, outW, out)) return out;
  const xlerp = xs.lerp;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const top = (win.y + ys.lo[y]!) * stride;
    const bot = (win.y + ys.hi[y]!) * stride;
    const yl = ys.lerp[y]!;
    for (let x = 0; x < outW; x++) {
      const fx = xlerp[x]!;
      const a = top + xl[x]!;
      const b = top + xr[x]!;
      const e = bot + xl[x]!;
      const g = bot + xr[x]!;
      for (let k = 0; k < c; k++) {
        const t = f32(d[a + k]! + f32((d[b + k]! - d[a + k]!) * fx));
        const u = f32(d[e + k]! + f32((d[g + k]! - d[e + k]!) * fx));
        out[o++] = f32(f32(t + f32(f32(u - t) * yl)) + 0.5); // within [0, 255.5): truncation rounds half up
      }
    }
  }
  return out;
}

interface ResizeKernel {
  memory: WasmMemory;
  bilinear3: (src: number, dst: number, outW: number, outH: number, xtab: number, ytab: number, scratch: number) => void;
}

let resizeKernel: ResizeKernel | null | undefined;
const WASM_MAX_SOURCE_BYTES = 64 * 1024 * 1024;

function bilinearWasm(
  src: RawImage,
  win: Window,
  ys: { lo: Int32Array; hi: Int32Array; lerp: Float64Array },
  xl: Int32Array,
  xr: Int32Array,
  xlerp: Float64Array,
  outH: number,
  outW: number,
  out: Uint8Array,
): boolean {
  if (resizeKernel === undefined) resizeKernel = instantiateKernel<ResizeKernel>(RESIZE_WASM_BASE64);
  const k = resizeKernel;
  if (!k) return false;
  const stride = src.width * 3;
  const srcBytes = src.height * stride;
  // WebAssembly memory never shrinks: very large photos (over ~20 megapixels) take the JS loop
  // rather than leave the kernel holding their size for the life of the process.
  if (srcBytes > WASM_MAX_SOURCE_BYTES) return false;
  // Layout: source image, 16 bytes of slack, x taps (12 bytes each), y taps, output, slack, then
  // (16-aligned) the kernel's two cached rows of outW f32x4.
  const xtab = srcBytes + 16;
  const ytab = xtab + outW * 12;
  const dst = ytab + outH * 12 + 16;
  const scratch = (dst + outH * outW * 3 + 16 + 15) & ~15;
  const mem = memoryOf(k.memory, scratch + 2 * outW * 16);
  mem.set(src.data.subarray(0, srcBytes), 0);
  const view = new DataView(mem.buffer);
  for (let x = 0; x < outW; x++) {
    view.setInt32(xtab + x * 12, xl[x]!, true);
    view.setInt32(xtab + x * 12 + 4, xr[x]!, true);
    view.setFloat32(xtab + x * 12 + 8, xlerp[x]!, true);
  }
  for (let y = 0; y < outH; y++) {
    view.setInt32(ytab + y * 12, (win.y + ys.lo[y]!) * stride, true);
    view.setInt32(ytab + y * 12 + 4, (win.y + ys.hi[y]!) * stride, true);
    view.setFloat32(ytab + y * 12 + 8, ys.lerp[y]!, true);
  }
  k.bilinear3(0, dst, outW, outH, xtab, ytab, scratch);
  out.set(mem.subarray(dst, dst + outH * outW * 3));
  return true;
}

/** Whether bilinear resizing of RGB images runs on the WebAssembly SIMD kernel here. */
export function resizeKernelName(): 'wasm-simd' | 'js' {
  if (resizeKernel === undefined) resizeKernel = instantiateKernel<ResizeKernel>(RESIZE_WASM_BASE64);
  return resizeKernel ? 'wasm-simd' : 'js';
}

/** resize_nearest_neighbor, half_pixel_centers: floor((i + 0.5) * scale), clamped. */
function nearestTaps(outSize: number, inSize: number): Int32Array {
  const scale = f32(inSize / outSize);
  const idx = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) idx[i] = Math.max(0, Math.min(Math.floor(f32(f32(i + 0.5) * scale)), inSize - 1));
  return idx;
}

function resizeNearest(src: RawImage, win: Window, outH: number, outW: number, out: Uint8Array): Uint8Array {
  const c = src.channels;
  const ys = nearestTaps(outH, win.height);
  const xs = nearestTaps(outW, win.width);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const row = (win.y + ys[y]!) * src.width;
    for (let x = 0; x < outW; x++) {
      const p = (row + win.x + xs[x]!) * c;
      for (let k = 0; k < c; k++) out[o++] = src.data[p + k]!;
    }
  }
  return out;
}

const TABLE_SIZE = 1024;
/** resize_bicubic_op.cc GetCoeffsTable for Keys' cubic with A = -0.5 (half_pixel_centers). */
const CUBIC_TABLE: Float32Array = (() => {
  const A = -0.5;
  const t = new Float32Array((TABLE_SIZE + 1) * 2);
  for (let i = 0; i <= TABLE_SIZE; i++) {
    let x = i / TABLE_SIZE;
    t[i * 2] = ((A + 2) * x - (A + 3)) * x * x + 1;
    x += 1;
    t[i * 2 + 1] = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  }
  return t;
})();

/** lrintf: round half to even. */
function lrint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function cubicTaps(outSize: number, inSize: number): { idx: Int32Array; w: Float64Array } {
  const scale = f32(inSize / outSize);
  const idx = new Int32Array(outSize * 4);
  const w = new Float64Array(outSize * 4);
  const bound = (v: number) => Math.min(inSize - 1, Math.max(0, v));
  for (let i = 0; i < outSize; i++) {
    const inF = f32(f32(f32(i + 0.5) * scale) - 0.5);
    const inLoc = Math.floor(inF);
    const delta = f32(inF - inLoc);
    const offset = lrint(f32(delta * TABLE_SIZE));
    const want = [inLoc - 1, inLoc, inLoc + 1, inLoc + 2];
    const coeff = [
      CUBIC_TABLE[offset * 2 + 1]!,
      CUBIC_TABLE[offset * 2]!,
      CUBIC_TABLE[(TABLE_SIZE - offset) * 2]!,
      CUBIC_TABLE[(TABLE_SIZE - offset) * 2 + 1]!,
    ];
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const b = bound(want[k]!);
      idx[i * 4 + k] = b;
      const wk = b === want[k] ? coeff[k]! : 0;
      w[i * 4 + k] = wk;
      sum += wk;
    }
    if (Math.abs(sum) >= 1000 * 1.1754943508222875e-38) for (let k = 0; k < 4; k++) w[i * 4 + k]! /= sum;
  }
  return { idx, w };
}

function resizeBicubic(src: RawImage, win: Window, outH: number, outW: number, out: Uint8Array): Uint8Array {
  const c = src.channels;
  const d = src.data;
  const ys = cubicTaps(outH, win.height);
  const xs = cubicTaps(outW, win.width);
  const acc = new Float64Array(c);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      acc.fill(0);
      for (let j = 0; j < 4; j++) {
        const wy = ys.w[y * 4 + j]!;
        if (wy === 0) continue;
        const row = (win.y + ys.idx[y * 4 + j]!) * src.width;
        for (let i = 0; i < 4; i++) {
          const wxy = wy * xs.w[x * 4 + i]!;
          if (wxy === 0) continue;
          const p = (row + win.x + xs.idx[x * 4 + i]!) * c;
          for (let k = 0; k < c; k++) acc[k]! += wxy * d[p + k]!;
        }
      }
      for (let k = 0; k < c; k++) out[o++] = toU8(acc[k]!);
    }
  }
  return out;
}

/** resize_area_op.cc: each output cell averages the input cells it covers, by covered fraction. */
function areaTaps(outSize: number, inSize: number): Array<{ idx: number[]; w: number[] }> {
  const scale = f32(inSize / outSize);
  const taps: Array<{ idx: number[]; w: number[] }> = [];
  for (let i = 0; i < outSize; i++) {
    const in0 = f32(i * scale);
    const in1 = f32((i + 1) * scale);
    const idx: number[] = [];
    const w: number[] = [];
    for (let k = Math.floor(in0); k < Math.ceil(in1); k++) {
      const part = k < in0 ? (k + 1 > in1 ? scale : k + 1 - in0) : k + 1 > in1 ? in1 - k : 1;
      idx.push(Math.min(k, inSize - 1));
      w.push(part);
    }
    taps.push({ idx, w });
  }
  return taps;
}

function resizeArea(src: RawImage, win: Window, outH: number, outW: number, out: Uint8Array): Uint8Array {
  const c = src.channels;
  const d = src.data;
  const ys = areaTaps(outH, win.height);
  const xs = areaTaps(outW, win.width);
  const norm = 1 / (f32(win.height / outH) * f32(win.width / outW));
  const acc = new Float64Array(c);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const ty = ys[y]!;
    for (let x = 0; x < outW; x++) {
      const tx = xs[x]!;
      acc.fill(0);
      for (let j = 0; j < ty.idx.length; j++) {
        const row = (win.y + ty.idx[j]!) * src.width;
        for (let i = 0; i < tx.idx.length; i++) {
          const wgt = ty.w[j]! * tx.w[i]!;
          const p = (row + win.x + tx.idx[i]!) * c;
          for (let k = 0; k < c; k++) acc[k]! += wgt * d[p + k]!;
        }
      }
      for (let k = 0; k < c; k++) out[o++] = toU8(acc[k]! * norm);
    }
  }
  return out;
}
