// DepthwiseConv2dNativeBackpropInput for wasm, as a forward depthwise convolution:
// dX = depthwise_conv(pad(zero_dilate(dY, stride)), flip(W), stride 1, dilation d), the
// transposed-convolution identity (dx[i] = sum_k dy'[i + p - k*d] w[k]). With a channel
// multiplier m the m output channels of each input channel are summed afterwards.
// Reference maths: tfjs-backend-cpu/src/kernels/DepthwiseConv2dNativeBackpropInput.ts.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmOps, type WasmBackendLike } from './wasm-ops';

interface Attrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

export function depthwiseBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: Attrs;
}): TensorInfo {
  const { inputs: { dy, filter }, attrs } = args;
  const ops = new WasmOps(args.backend);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides,
    attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const m = info.outChannels / c;

  const dilated = ops.zeroDilate(dy, sh, sw);
  const padTop = (kh - 1) * dh - info.padInfo.top;
  const padLeft = (kw - 1) * dw - info.padInfo.left;
  const padded = ops.padOrCrop(dilated, [
    [0, 0],
    [padTop, h + (kh - 1) * dh - padTop - ((oh - 1) * sh + 1)],
    [padLeft, w + (kw - 1) * dw - padLeft - ((ow - 1) * sw + 1)],
    [0, 0],
  ]);
  ops.free(dilated);

  const flipped = kh === 1 && kw === 1 ? ops.share(filter) : ops.run('Reverse', { x: filter }, { dims: [0, 1] });
  const flat = ops.reshape(flipped, [kh, kw, c * m, 1]);
  ops.free(flipped);
  const conv = ops.run('DepthwiseConv2dNative', { x: padded, filter: flat }, {
    strides: [1, 1], pad: 'valid', dilations: [dh, dw], dataFormat: 'NHWC',
  });
  ops.free(padded, flat);
  if (m === 1) return conv;
  const split = ops.reshape(conv, [n, h, w, c, m]);
  const summed = ops.run('Sum', { x: split }, { axis: [4], keepDims: false });
  ops.free(conv, split);
  return summed;
}

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInputWasm as unknown as KernelFunc,
};
