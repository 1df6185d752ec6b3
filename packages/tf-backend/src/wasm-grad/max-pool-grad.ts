// MaxPoolGrad for wasm, replacing tfjs-backend-wasm 4.22's. Its C++ kernel follows the cpu
// backend's scheme: for every input pixel it revisits every window that covers the pixel and
// recomputes that window's argmax, ~filter^2 times the work of one forward pass (0.22 s of a
// 64x64 training step here, 0.13 s for one [32,32,32,128] 3x3/2 pooling). Here each window's
// argmax is found once and its dy added at that position: one pass over the windows, run by
// the SIMD kernel max_pool_grad of ../wasm-simd/heap-kernels.wat in place on the wasm heap
// (4 channels per step; 38 ms -> ~4 ms for that pooling), or where that cannot load by the
// same loop in JS over typed-array views of the heap (bit-identical). Nothing is copied and
// nothing leaves the wasm backend. Semantics as tfjs-backend-cpu's maxPoolPositions (and TF): the
// first maximum in row-major window order wins (strict >), padding never wins, a window whose
// values are all NaN/-Infinity passes no gradient.
import { backend_util, type DataId, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { heapKernels, heapOffset, type HeapBackend as SimdBackend } from '../wasm-simd/heap-kernels';

interface Attrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses (see its backend_wasm.ts). */
interface HeapBackend extends SimdBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: { shape: number[]; dtype: string; dataId: DataId }): Float32Array;
}

export function maxPoolGradWasm(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output?: TensorInfo }; backend: HeapBackend; attrs: Attrs;
}): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`MaxPoolGrad on wasm supports float32 only, got ${input.dtype}`);
  }
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top: padTop, left: padLeft } = info.padInfo;

  // Allocate first: a heap growth would detach views taken earlier.
  const dxInfo = backend.makeOutput(input.shape as number[], 'float32');
  const simd = heapKernels(backend);
  if (simd !== null) {
    simd.max_pool_grad(
      heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dxInfo),
      n, h, w, c, oh, ow, sh, sw, fh, fw, padTop, padLeft);
    return dxInfo;
  }
  const dx = backend.typedArrayFromHeap(dxInfo);
  const xs = backend.typedArrayFromHeap(input as never);
  const dys = backend.typedArrayFromHeap(dy as never);
  dx.fill(0);

  // Offsets of the window's in-bounds pixels, row-major (the order that decides ties).
  const taps = new Int32Array(fh * fw);
  for (let b = 0; b < n; b++) {
    const xBatch = b * h * w * c;
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - padTop;
      const rBegin = Math.max(0, r0);
      const rEnd = Math.min(h, r0 + fh);
      for (let q = 0; q < ow; q++) {
        const c0 = q * sw - padLeft;
        const cBegin = Math.max(0, c0);
        const cEnd = Math.min(w, c0 + fw);
        let count = 0;
        for (let y = rBegin; y < rEnd; y++) {
          for (let x = cBegin; x < cEnd; x++) taps[count++] = xBatch + (y * w + x) * c;
        }
        const dyBase = ((b * oh + r) * ow + q) * c;
        if (count === 9) {
          nineTaps(xs, dx, dys, taps, dyBase, c);
          continue;
        }
        for (let k = 0; k < c; k++) {
          let bestValue = -Infinity;
          let bestAt = -1;
          for (let t = 0; t < count; t++) {
            const at = (taps[t] as number) + k;
            const v = xs[at] as number;
            if (v > bestValue) {
              bestValue = v;
              bestAt = at;
            }
          }
          if (bestAt >= 0) dx[bestAt] = (dx[bestAt] as number) + (dys[dyBase + k] as number);
        }
      }
    }
  }
  return dxInfo;
}

/** The common case (a 3x3 window wholly inside the image) with the nine offsets in registers; same tie rule. */
function nineTaps(
  xs: Float32Array, dx: Float32Array, dys: Float32Array, taps: Int32Array, dyBase: number, c: number,
): void {
  const t0 = taps[0] as number; const t1 = taps[1] as number; const t2 = taps[2] as number;
  const t3 = taps[3] as number; const t4 = taps[4] as number; const t5 = taps[5] as number;
  const t6 = taps[6] as number; const t7 = taps[7] as number; const t8 = taps[8] as number;
  for (let k = 0; k < c; k++) {
    let at = -1;
    let m = -Infinity;
    let v = xs[t0 + k] as number; if (v > m) { m = v; at = t0 + k; }
    v = xs[t1 + k] as number; if (v > m) { m = v; at = t1 + k; }
    v = xs[t2 + k] as number; if (v > m) { m = v; at = t2 + k; }
    v = xs[t3 + k] as number; if (v > m) { m = v; at = t3 + k; }
    v = xs[t4 + k] as number; if (v > m) { m = v; at = t4 + k; }
    v = xs[t5 + k] as number; if (v > m) { m = v; at = t5 + k; }
    v = xs[t6 + k] as number; if (v > m) { m = v; at = t6 + k; }
    v = xs[t7 + k] as number; if (v > m) { m = v; at = t7 + k; }
    v = xs[t8 + k] as number; if (v > m) { m = v; at = t8 + k; }
    if (at >= 0) dx[at] = (dx[at] as number) + (dys[dyBase + k] as number);
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};
