// BatchNormalization in training mode as two fused operations, for the custom-gradient layer of
// @pawpipe/model: the forward (batch mean, biased variance, normalised output) and its gradient
//   dx = gamma * inv / M * (M dy - sum(dy) - xhat * sum(dy xhat)),
//   dgamma = sum(dy xhat), dbeta = sum(dy),   inv = 1 / sqrt(var + eps), xhat = (x - mean) * inv,
// sums over N, H, W (M values per channel). Composed of tf ops that is ~4 full-size passes
// forward and ~9 backward (moments, batchNorm, sub, mul, ...). On wasm, with the SIMD heap
// kernels loaded and channels a multiple of 4, each is one kernel of
// ../wasm-simd/heap-kernels.wat instead: 3 passes forward, 2 backward, in place on the heap
// ([32,32,32,128]: ~22 ms -> ~4 ms forward, ~27 ms -> ~5 ms backward). Other backends, and
// wasm without the kernels, get the composition; both give the same numbers to float rounding.
// Neither is differentiable by itself: they are meant for a tf.customGrad.
import {
  add, batchNorm4d, div, engine, moments, mul, rsqrt, sub, sum, tidy,
  type KernelConfig, type KernelFunc, type Tensor, type Tensor1D, type Tensor4D, type TensorInfo,
} from '@tensorflow/tfjs';
import { heapKernels, heapKernelsForActiveBackend, heapOffset, type HeapOutputBackend as Backend } from '../wasm-simd/heap-kernels';

export const BN_TRAIN = 'PawpipeBatchNormTrain';
export const BN_TRAIN_GRAD = 'PawpipeBatchNormTrainGrad';

function channelsOf(x: TensorInfo): { p: number; c: number } {
  const c = x.shape[x.shape.length - 1] as number;
  return { p: x.shape.reduce((a, b) => a * b, 1) / c, c };
}

function kernelsOf(backend: Backend): NonNullable<ReturnType<typeof heapKernels>> {
  const k = heapKernels(backend);
  if (k === null) throw new Error(`${BN_TRAIN}: the SIMD heap kernels are not loaded`);
  return k;
}

function bnTrainWasm(args: { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: Backend; attrs: { epsilon: number } }): TensorInfo[] {
  const { inputs: { x, gamma, beta }, backend, attrs } = args;
  const k = kernelsOf(backend);
  const { p, c } = channelsOf(x);
  const y = backend.makeOutput(x.shape as number[], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const scratch = backend.makeOutput([c], 'float32');
  const at = (t: TensorInfo): number => heapOffset(backend, t);
  k.bn_train_forward(at(x), at(y), at(mean), at(variance), at(gamma), at(beta), at(scratch), p, c, attrs.epsilon);
  backend.disposeData(scratch.dataId);
  return [y, mean, variance];
}

function bnTrainGradWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo; mean: TensorInfo; variance: TensorInfo; gamma: TensorInfo };
  backend: Backend; attrs: { epsilon: number };
}): TensorInfo[] {
  const { inputs: { x, dy, mean, variance, gamma }, backend, attrs } = args;
  const k = kernelsOf(backend);
  const { p, c } = channelsOf(x);
  const dx = backend.makeOutput(x.shape as number[], 'float32');
  const dgamma = backend.makeOutput([c], 'float32');
  const dbeta = backend.makeOutput([c], 'float32');
  const scratch = backend.makeOutput([4 * c], 'float32');
  const at = (t: TensorInfo): number => heapOffset(backend, t);
  k.bn_train_backward(at(x), at(dy), at(dx), at(mean), at(variance), at(gamma), at(dgamma), at(dbeta), at(scratch), p, c, attrs.epsilon);
  backend.disposeData(scratch.dataId);
  return [dx, dgamma, dbeta];
}

export const batchNormTrainConfigs: KernelConfig[] = [
  { kernelName: BN_TRAIN, backendName: 'wasm', kernelFunc: bnTrainWasm as unknown as KernelFunc },
  { kernelName: BN_TRAIN_GRAD, backendName: 'wasm', kernelFunc: bnTrainGradWasm as unknown as KernelFunc },
];

/** Whether the fused kernels serve this tensor on the active backend. */
function fused(x: Tensor): boolean {
  if (x.dtype !== 'float32' || x.rank !== 4 || (x.shape[3] as number) % 4 !== 0) return false;
  return heapKernelsForActiveBackend() !== null;
}

/** Training-mode batch normalisation over N, H, W: the output and the batch statistics. */
export function batchNormTraining(
  x: Tensor4D, gamma: Tensor1D, beta: Tensor1D, epsilon: number,
): { y: Tensor4D; mean: Tensor1D; variance: Tensor1D } {
  if (fused(x)) {
    const [y, mean, variance] = engine().runKernel(BN_TRAIN, { x, gamma, beta }, { epsilon }) as unknown as [Tensor4D, Tensor1D, Tensor1D];
    return { y, mean, variance };
  }
  return tidy(() => {
    const { mean, variance } = moments(x, [0, 1, 2]) as { mean: Tensor1D; variance: Tensor1D };
    return { y: batchNorm4d(x, mean, variance, beta, gamma, epsilon), mean, variance };
  });
}

/** The gradient of batchNormTraining for dy, given what it saw and returned. */
export function batchNormTrainingGrad(
  x: Tensor4D, dy: Tensor4D, mean: Tensor1D, variance: Tensor1D, gamma: Tensor1D, epsilon: number,
): { dx: Tensor4D; dgamma: Tensor1D; dbeta: Tensor1D } {
  if (fused(x)) {
    const [dx, dgamma, dbeta] = engine().runKernel(BN_TRAIN_GRAD, { x, dy, mean, variance, gamma }, { epsilon }) as unknown as [Tensor4D, Tensor1D, Tensor1D];
    return { dx, dgamma, dbeta };
  }
  return tidy(() => {
    const m = x.shape[0] * x.shape[1] * x.shape[2];
    const inv = rsqrt(add(variance, epsilon));
    const xhat = mul(sub(x, mean), inv);
    const dbeta = sum(dy, [0, 1, 2]) as Tensor1D;
    const dgamma = sum(mul(dy, xhat), [0, 1, 2]) as Tensor1D;
    const coeff = div(mul(gamma, inv), m);
    const dx = mul(sub(sub(mul(dy, m), dbeta), mul(xhat, dgamma)), coeff) as Tensor4D;
    return { dx, dgamma, dbeta };
  });
}
