// Conv2DBackpropInput for wasm, replacing the one tfjs-backend-wasm 4.22 ships (a scalar loop
// that took a quarter of a training step). The transposed convolution is run as a forward
// XNNPACK Conv2D: dX = conv2d(pad(zero_dilate(dY, stride)), flip(W) with in/out swapped,
// stride 1, valid). A 1x1 filter with stride > 1 is multiplied at low resolution first and
// dilated afterwards, which saves the stride^2 zero work (the residual projections).
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { assertNHWC } from './conv-info';
import { WasmOps, type WasmBackendLike } from './wasm-ops';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

const CONV_ATTRS = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };

export function conv2dBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: Attrs;
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
  const swapped = ops.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [KH, KW, Co, Ci]
  ops.free(flipped);

  if (kh === 1 && kw === 1) {
    const low = ops.run('Conv2D', { x: dy, filter: swapped }, CONV_ATTRS);
    ops.free(swapped);
    const dilated = ops.zeroDilate(low, sh, sw);
    ops.free(low);
    const top = -info.padInfo.top;
    const left = -info.padInfo.left;
    const out = ops.padOrCrop(dilated, [
      [0, 0], [top, h - top - ((oh - 1) * sh + 1)], [left, w - left - ((ow - 1) * sw + 1)], [0, 0],
    ]);
    ops.free(dilated);
    return out;
  }

  const dilated = ops.zeroDilate(dy, sh, sw);
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const padded = ops.padOrCrop(dilated, [
    [0, 0], [top, h + kh - 1 - top - ((oh - 1) * sh + 1)], [left, w + kw - 1 - left - ((ow - 1) * sw + 1)], [0, 0],
  ]);
  ops.free(dilated);
  const out = ops.run('Conv2D', { x: padded, filter: swapped }, CONV_ATTRS);
  ops.free(padded, swapped);
  return out;
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
};
