// The Relu gradient, dx = dy * step(x). tfjs-core's (gradients/Relu_grad.ts) composes it as
// mul(dy, cast(step(x), 'float32')): three full-size passes and two temporaries for each ReLU of
// the network. On wasm with the SIMD heap kernels it is one pass here (relu_grad of
// ../wasm-simd/heap-kernels.wat, same results including NaN: step(NaN) is NaN as on cpu);
// elsewhere, tfjs' composition unchanged. Registered for the 'Relu' kernel on every backend.
import {
  cast, engine, mul, registerGradient, step,
  type GradConfig, type KernelConfig, type KernelFunc, type Tensor, type TensorInfo,
} from '@tensorflow/tfjs';
import { heapKernels, heapKernelsForActiveBackend, heapOffset, type HeapOutputBackend as Backend } from '../wasm-simd/heap-kernels';

export const RELU_GRAD = 'PawpipeReluGrad';

function reluGradWasm(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: Backend }): TensorInfo {
  const { inputs: { x, dy }, backend } = args;
  const k = heapKernels(backend);
  if (k === null) throw new Error(`${RELU_GRAD}: the SIMD heap kernels are not loaded`);
  const dx = backend.makeOutput(x.shape as number[], 'float32');
  k.relu_grad(heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dx), x.shape.reduce((a, b) => a * b, 1));
  return dx;
}

export const reluGradKernelConfig: KernelConfig = {
  kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradWasm as unknown as KernelFunc,
};

/** dy * step(x) for a ReLU's saved input x. */
export function reluGrad(dy: Tensor, x: Tensor): Tensor {
  const fused = x.dtype === 'float32' && dy.dtype === 'float32' && heapKernelsForActiveBackend() !== null;
  if (fused) return engine().runKernel(RELU_GRAD, { x, dy }, {}) as Tensor;
  return mul(dy, cast(step(x), 'float32'));
}

export const reluGradConfig: GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved as [Tensor];
    return { x: () => reluGrad(dy as Tensor, x) };
  },
};

export function registerReluGradient(): void {
  registerGradient(reluGradConfig);
}
