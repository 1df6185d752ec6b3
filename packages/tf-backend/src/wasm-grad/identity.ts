// Identity (tf.clone) for wasm without a copy: another reference to the same data, as the cpu
// and webgl backends do (tfjs-backend-cpu/src/kernels/Identity.ts). tfjs-backend-wasm's own
// copies the whole tensor, and training runs many clones: the engine keeps a clone of every
// tensor a customGrad saves for its backward pass (engine.ts runKernelFunc's saveFunc), e.g. the
// input and output of each fused conv and of each BatchNormalization, 364 copies per step of
// the mini-Xception (34 ms of a 1.9 s 64x64 step) and as much memory again. Tensors are
// immutable and wasm kernels always write to fresh outputs, so sharing is safe; the backend
// frees the data when its last reference goes (the same refCount wasm's Reshape relies on).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-ops';

function identityWasm(args: { inputs: { x: TensorInfo }; backend: WasmBackendLike }): TensorInfo {
  const { inputs: { x }, backend } = args;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identityWasm as unknown as KernelFunc,
};
