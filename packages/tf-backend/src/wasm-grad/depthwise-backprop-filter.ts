// DepthwiseConv2dNativeBackpropFilter for wasm: for each filter tap (kh, kw),
// dW[kh,kw,c,q] = sum over batch and output positions of X_(kh,kw)[.., c] * dY[.., c*m+q],
// with X_(kh,kw) the padded input sliced at the tap's offset with the conv's stride (stride 1:
// dY padded to the shifted position instead, below); the product is reduced with the
// average-pool trick of spatial-sum.ts.
// With channel multiplier 1 (every depthwise conv of a separable conv) and float32, the SIMD
// kernel dw_filter_grad of ../wasm-simd/heap-kernels.wat does it all in one pass in place on
// the heap instead: [32,32,32,128] 3x3 'same' ~53 ms -> ~7 ms.
// Reference maths: tfjs-backend-cpu/src/kernels/DepthwiseConv2dNativeBackpropFilter.ts.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { heapKernels, heapOffset, type HeapOutputBackend } from '../wasm-simd/heap-kernels';
import { inputPadding } from './conv-info';
import { batchSpatialReduce } from './spatial-sum';
import { WasmOps, type WasmBackendLike } from './wasm-ops';

interface Attrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

type Backend = WasmBackendLike & HeapOutputBackend;

export function depthwiseBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo }; backend: Backend; attrs: Attrs;
}): TensorInfo {
  const { inputs: { x, dy }, attrs } = args;
  const ops = new WasmOps(args.backend);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides,
    attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const m = info.outChannels / c;

  const simd = m === 1 && x.dtype === 'float32' && dy.dtype === 'float32' ? heapKernels(args.backend) : null;
  if (simd !== null) {
    const out = args.backend.makeOutput([kh, kw, c, 1], 'float32');
    simd.dw_filter_grad(
      heapOffset(args.backend, x), heapOffset(args.backend, dy), heapOffset(args.backend, out),
      n, info.inHeight, info.inWidth, c, oh, ow, sh, sw, kh, kw, dh, dw, info.padInfo.top, info.padInfo.left);
    return out;
  }

  const xp = ops.padOrCrop(x, [
    [0, 0],
    inputPadding(info.inHeight, oh, kh, sh, dh, info.padInfo.top),
    inputPadding(info.inWidth, ow, kw, sw, dw, info.padInfo.left),
    [0, 0],
  ]);
  const taps: TensorInfo[] = [];
  if (sh === 1 && sw === 1) {
    // Stride 1: instead of cutting each tap's window out of x (wasm's Slice is a JS row copy,
    // ~5x the cost of a Multiply here), zero-pad dY to x's padded size with the tap's offset,
    // so X_(kh,kw) . dY becomes xp . pad(dY) over the whole padded grid; wasm's PadV2 is C++.
    // Measured for 3x3 'same', batch 32: [32,32,128] 87 -> 55 ms, [8,8,512] 54 -> 13 ms.
    const [, hp, wp] = xp.shape as [number, number, number, number];
    const x5 = ops.reshape(xp, [n, hp, wp, c, 1]);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const shifted = ops.padOrCrop(dy, [[0, 0], [i * dh, hp - oh - i * dh], [j * dw, wp - ow - j * dw], [0, 0]]);
        const dy5 = ops.reshape(shifted, [n, hp, wp, c, m]);
        const prod = ops.run('Multiply', { a: x5, b: dy5 });
        const prod4 = ops.reshape(prod, [n, hp, wp, c * m]);
        taps.push(batchSpatialReduce(ops, prod4, 'sum'));
        ops.free(shifted, dy5, prod, prod4);
      }
    }
    ops.free(xp, x5);
    return stackTaps(ops, taps, [kh, kw, c, m]);
  }
  const dy5 = ops.reshape(dy, [n, oh, ow, c, m]);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const xs = ops.spatialSlice(xp, i * dh, j * dw, oh, ow, sh, sw);
      const x5 = ops.reshape(xs, [n, oh, ow, c, 1]);
      const prod = ops.run('Multiply', { a: x5, b: dy5 });
      const prod4 = ops.reshape(prod, [n, oh, ow, c * m]);
      taps.push(batchSpatialReduce(ops, prod4, 'sum'));
      ops.free(xs, x5, prod, prod4);
    }
  }
  ops.free(xp, dy5);
  return stackTaps(ops, taps, [kh, kw, c, m]);
}

/** The per-tap [C*M] sums as the [KH, KW, C, M] filter gradient; frees the taps. */
function stackTaps(ops: WasmOps, taps: TensorInfo[], shape: number[]): TensorInfo {
  const stacked = ops.concat(taps, 0);
  ops.free(...taps);
  const out = ops.reshape(stacked, shape);
  ops.free(stacked);
  return out;
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilterWasm as unknown as KernelFunc,
};
