// Shape bookkeeping shared by the gradient kernels: the same backend_util.computeConv2DInfo
// that tfjs-backend-cpu uses, so 'same'/'valid'/explicit padding and rounding agree exactly.
import { backend_util } from '@tensorflow/tfjs';

export type Conv2DInfo = backend_util.Conv2DInfo;

export function assertNHWC(dataFormat: string | undefined, kernelName: string): void {
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm supports only NHWC data, got ${dataFormat}`);
  }
}

/**
 * Zero padding (negative: cropping) that makes the padded input hold exactly the rows/cols the
 * forward convolution reads: index o*s + k*d - padBefore for o < out, k < filter.
 */
export function inputPadding(
  inSize: number, outSize: number, filter: number, stride: number, dilation: number, padBefore: number,
): [number, number] {
  const needed = (outSize - 1) * stride + (filter - 1) * dilation + 1;
  return [padBefore, needed - padBefore - inSize];
}
