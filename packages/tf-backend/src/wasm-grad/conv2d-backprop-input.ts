// Conv2DBackpropInput for wasm, replacing the one tfjs-backend-wasm 4.22 ships (a scalar loop
// that took a quarter of a training step). The transposed convolution is run as a forward
// XNNPACK Conv2D: dX = conv2d(pad(zero_dilate(dY, stride)), flip(W) with in/out swapped,
// stride 1, valid). A 1x1 filter with stride > 1 is multiplied at low resolution first and
// dilated afterwards, which saves the stride^2 zero work (the residual projections).
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { assertNHWC } from './conv-info';
import { dilatePad, type HeapViewBackend } from './dilate-pad';
import { WasmOps, type WasmBackendLike } from './wasm-ops';
import { transpose } from '../wasm-simd/transpose';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

const CONV_ATTRS = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };

export function conv2dBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike & HeapViewBackend; attrs: Attrs;
}): TensorInfo {
  const { inputs: { dy, filter }, attrs } = args;
  assertNHWC(attrs.dataFormat, 'Conv2DBackpropInput');
  const ops = new WasmOps(args.backend);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;

  const flipped = kh === 1 && kw === 1 ? ops.share(filter) : ops.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = transpose(ops, flipped, [0, 1, 3, 2]); // [KH, KW, Co, Ci], SIMD on the heap
  ops.free(flipped);

  // Strided: zero-dilate and pad (or crop) in one placement (dilate-pad.ts; [32,16,16,128] ->
  // [32,32,32,64] 19.8 -> 16.7 ms for the whole kernel). Stride 1: wasm's C++ PadV2 is faster.
  const place = (t: TensorInfo, top: number, left: number, outH: number, outW: number): TensorInfo =>
    (t.dtype === 'float32' && (sh > 1 || sw > 1)
      ? dilatePad(args.backend, t, sh, sw, top, left, outH, outW)
      : placeWithOps(ops, t, sh, sw, top, left, outH, outW));

  if (kh === 1 && kw === 1) {
    const low = ops.run('Conv2D', { x: dy, filter: swapped }, CONV_ATTRS);
    ops.free(swapped);
    if (sh === 1 && sw === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 && oh === h && ow === w) return low;
    const out = place(low, -info.padInfo.top, -info.padInfo.left, h, w);
    ops.free(low);
    return out;
  }

  const padded = place(dy, kh - 1 - info.padInfo.top, kw - 1 - info.padInfo.left, h + kh - 1, w + kw - 1);
  const out = ops.run('Conv2D', { x: padded, filter: swapped }, CONV_ATTRS);
  ops.free(padded, swapped);
  return out;
}

/** dilatePad through wasm's kernels (zero-dilate, then pad or crop), for other dtypes. */
function placeWithOps(ops: WasmOps, t: TensorInfo, sh: number, sw: number, top: number, left: number, outH: number, outW: number): TensorInfo {
  const [, h, w] = t.shape as [number, number, number, number];
  const dilated = ops.zeroDilate(t, sh, sw);
  const out = ops.padOrCrop(dilated, [
    [0, 0], [top, outH - top - ((h - 1) * sh + 1)], [left, outW - left - ((w - 1) * sw + 1)], [0, 0],
  ]);
  ops.free(dilated);
  return out;
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
};
