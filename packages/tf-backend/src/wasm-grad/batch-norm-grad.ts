// The FusedBatchNorm gradient of tfjs-core 4.22 (gradients/FusedBatchNorm_grad.ts) with one
// change: dX broadcasts 1/sqrt(var + eps) over the channels instead of tiling it to the full
// NHWC shape first. wasm's Tile is a scalar loop (about 0.34 s for a 32x32x32x128 batch here),
// and this tile ran once per BatchNorm layer per step. The maths and results are unchanged on
// every backend.
import {
  add, backend_util, mul, registerGradient, reshape, rsqrt, scalar, sub, sum,
  type GradConfig, type NamedAttrMap, type Tensor,
} from '@tensorflow/tfjs';

export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const varianceEpsilon = attrs.varianceEpsilon as number;
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    const scaleValue = scale ?? scalar(1);
    const reductionAxes = backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: Tensor): Tensor => (mean.rank === 1 ? sum(t, reductionAxes) : t);
    const xMinusMean = sub(x, mean);
    const dyTimesScale = mul(g, scaleValue);
    const oneOverSqrtVariance = rsqrt(add(variance, scalar(varianceEpsilon)));
    const minusHalfRCube = mul(mul(mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), scalar(-0.5));
    return {
      x: () => reshape(mul(g, mul(oneOverSqrtVariance, scaleValue)), x.shape),
      mean: () => reshape(reduce(mul(mul(oneOverSqrtVariance, scalar(-1)), dyTimesScale)), mean.shape),
      variance: () => reshape(reduce(mul(mul(minusHalfRCube, xMinusMean), dyTimesScale)), mean.shape),
      scale: () => reshape(reduce(mul(g, mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
      offset: () => reshape(reduce(g), mean.shape),
    };
  },
};

export function registerBatchNormGradient(): void {
  registerGradient(fusedBatchNormGradConfig);
}
