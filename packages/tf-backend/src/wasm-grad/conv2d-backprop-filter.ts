// Conv2DBackpropFilter for wasm. dW[kh,kw,:,:] = X_(kh,kw)^T . dY, where X_(kh,kw) is the
// zero-padded input sliced at filter tap (kh, kw) with the conv's stride: the input rows that
// meet that tap (same maths as tfjs-backend-cpu/src/kernels/Conv2DBackpropFilter.ts).
// Filters larger than 1x1 run as one dilated XNNPACK convolution over all taps (below); 1x1
// filters (the pointwise halves of the separable convolutions) as the product described next.
// Speed: wasm's own BatchMatMul is not XNNPACK and is ~5x slower with transposeA, so the
// product runs through wasm's XNNPACK Conv2D instead: a 1x1 convolution whose "image" is
// X^T laid out [1, 1, taps*Ci, R] and whose filter is dY as [1, 1, R, Co] gives
// [1, 1, taps*Ci, Co], i.e. X^T . dY for several taps at once. X is transposed once to
// channel-major so each tap is a strided slice of contiguous rows. The transposes run through
// the SIMD kernels of ../wasm-simd (wasm's own Transpose is a per-element loop, ~5x slower).
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { assertNHWC, inputPadding } from './conv-info';
import { WasmOps, type WasmBackendLike } from './wasm-ops';
import { heapKernels, heapOffset, type HeapOutputBackend } from '../wasm-simd/heap-kernels';
import { heapStridedChannelMajor, transpose } from '../wasm-simd/transpose';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Upper bound on the floats gathered for one matmul, so the wasm heap stays small at 180x180. */
const MAX_GATHER_FLOATS = 1 << 24;

/**
 * Output pixels per chunk of the SIMD kernel's pixel loop: with Ci + Co channels the chunk's x
 * and dY stay in a 256 KB share of the cache while every 4x8 tile of dW sums over it.
 */
const chunkRows = (ow: number, ci: number, co: number): number =>
  Math.max(1, Math.floor(Math.max(ow, (256 * 1024) / (4 * (ci + co))) / ow));

export function conv2dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackendLike & HeapOutputBackend;
  attrs: Attrs;
}): TensorInfo {
  const { inputs: { x, dy }, attrs } = args;
  assertNHWC(attrs.dataFormat, 'Conv2DBackpropFilter');
  const ops = new WasmOps(args.backend);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const rows = n * oh * ow;

  // Filters > 1x1 with Ci a multiple of 4 and Co of 8: conv_filter_grad of
  // ../wasm-simd/heap-kernels.wat, a cache-blocked GEMM over the pixels for every tap, in place
  // on the heap (no padded copy, no transposes): [32,32,32,32] -> 64, 3x3 'same' ~72 -> ~40 ms.
  // 1x1 filters too while Ci <= 256: the XNNPACK product below re-lays out and packs dY (rows x
  // Co) on every call (dY is a new tensor each step, so its cached operator never hits), a cost
  // per multiply-add that falls as 1/Ci: with a new dY per call, [32,32,32,64] -> 128 stride 1
  // ~78 -> ~19 ms, stride 2 ~45 -> ~6 ms, [32,90,90,64] -> 128 stride 2 ~300 -> ~45 ms; at
  // Ci = 512 and 728 XNNPACK's GEMM is 5-30% faster than this one.
  const simd = (kh > 1 || kw > 1 || ci <= 256) && ci % 4 === 0 && co % 8 === 0 && x.dtype === 'float32' && dy.dtype === 'float32'
    ? heapKernels(args.backend) : null;
  if (simd !== null) {
    const out = args.backend.makeOutput([kh, kw, ci, co], 'float32');
    simd.conv_filter_grad(
      heapOffset(args.backend, x), heapOffset(args.backend, dy), heapOffset(args.backend, out),
      n, info.inHeight, info.inWidth, ci, oh, ow, co, sh, sw, kh, kw, info.padInfo.top, info.padInfo.left,
      chunkRows(ow, ci, co));
    return out;
  }

  const dyFilter = ops.reshape(dy, [1, 1, rows, co]);

  const xp = ops.padOrCrop(x, [
    [0, 0],
    inputPadding(info.inHeight, oh, kh, sh, 1, info.padInfo.top),
    inputPadding(info.inWidth, ow, kw, sw, 1, info.padInfo.left),
    [0, 0],
  ]);
  if (kh > 1 || kw > 1) {
    // All taps in one XNNPACK convolution, no per-tap slices: with N as the channel axis,
    // dW[kh,kw,ci,co] = sum_{o,n} xT[ci, o*s+k, n] . dyT[o, n, co] is a valid convolution of
    // xT = x as [Ci, Hp, Wp, N] (Ci plays the batch) with dyT = dY as [OH, OW, N, Co] used as an
    // OH x OW filter dilated by the stride; its output [Ci, KH, KW, Co] is dW transposed.
    const xT = transpose(ops, xp, [3, 1, 2, 0]);
    const dyT = transpose(ops, dy, [1, 2, 0, 3]);
    ops.free(xp, dyFilter);
    const conv = ops.run('Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw],
    });
    ops.free(xT, dyT);
    const out = transpose(ops, conv, [1, 2, 0, 3]);
    ops.free(conv);
    return out;
  }

  // 1x1 filters. Stride 1: transpose once and slice every tap from the channel-major copy (contiguous rows).
  // Stride > 1: each tap's grid straight into channel-major with the SIMD kernels (else slice
  // it in NHWC, see spatialSlice, and transpose that).
  const strided = sh > 1 || sw > 1;
  const xT = strided ? undefined : transpose(ops, xp, [3, 0, 1, 2]); // [Ci, N, Hp, Wp]
  const tap = (i: number, j: number): TensorInfo => {
    if (xT !== undefined) return ops.channelMajorSlice(xT, i, j, oh, ow, 1, 1);
    const direct = heapStridedChannelMajor(args.backend as never, xp, i, j, oh, ow, sh, sw);
    if (direct !== null) return direct;
    const xs = ops.spatialSlice(xp, i, j, oh, ow, sh, sw);
    const t = transpose(ops, xs, [3, 0, 1, 2]);
    ops.free(xs);
    return t;
  };

  const tapsPerGroup = Math.max(1, Math.floor(MAX_GATHER_FLOATS / (ci * rows)));
  const products: TensorInfo[] = [];
  let group: TensorInfo[] = [];
  const flush = (): void => {
    const gathered = ops.concat(group, 0); // [g*Ci, N, OH, OW]
    ops.free(...group);
    group = [];
    const image = ops.reshape(gathered, [1, 1, gathered.shape[0] as number, rows]);
    products.push(ops.run('Conv2D', { x: image, filter: dyFilter }, {
      strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1],
    }));
    ops.free(gathered, image);
  };
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      group.push(tap(i, j));
      if (group.length === tapsPerGroup) flush();
    }
  }
  if (group.length > 0) flush();
  ops.free(xp, dyFilter);
  if (xT !== undefined) ops.free(xT);
  const all = ops.concat(products, 2); // [1, 1, taps*Ci, Co]
  ops.free(...products);
  const out = ops.reshape(all, [kh, kw, ci, co]);
  ops.free(all);
  return out;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
};
