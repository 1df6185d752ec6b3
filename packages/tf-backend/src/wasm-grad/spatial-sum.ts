// Fast reductions over the batch and spatial axes of NHWC data on wasm. wasm's Sum/Mean over
// leading axes transpose the whole tensor first (tfjs-backend-wasm/src/kernels/Sum.ts), about
// 7x slower here than an XNNPACK average pool over the H x W window followed by a small sum
// over N. Training spends much of its time in these (every BatchNorm and bias gradient).
import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmOps } from './wasm-ops';

/** mean over axes [1, 2] of an NHWC float tensor: [N, 1, 1, C] */
export function spatialMean(ops: WasmOps, x: TensorInfo): TensorInfo {
  const [, h, w] = x.shape as [number, number, number, number];
  return ops.run('AvgPool', { x }, {
    filterSize: [h, w], strides: [h, w], pad: 'valid', dimRoundingMode: undefined,
  });
}

/** sum (or mean) over axes [0, 1, 2] of an NHWC float tensor: [C] */
export function batchSpatialReduce(ops: WasmOps, x: TensorInfo, kind: 'sum' | 'mean'): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const pooled = spatialMean(ops, x);
  const flat = ops.reshape(pooled, [n, c]);
  ops.free(pooled);
  const reduced = ops.run(kind === 'sum' ? 'Sum' : 'Mean', { x: flat }, { axis: [0], keepDims: false });
  ops.free(flat);
  if (kind === 'mean' || h * w === 1) return reduced;
  const scale = ops.run('Fill', {}, { shape: [], value: h * w, dtype: 'float32' });
  const out = ops.run('Multiply', { a: reduced, b: scale });
  ops.free(reduced, scale);
  return out;
}
