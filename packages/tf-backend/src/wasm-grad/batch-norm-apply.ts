// FusedBatchNorm (batch normalisation with given statistics: inference, evaluation, predict)
// for wasm: y = (x - mean) * scale / sqrt(variance + eps) + offset. tfjs-backend-wasm's own C++
// kernel spends ~29 ms on a [32,32,32,128] tensor here (18% of a 64x64 inference pass over the
// mini-Xception); bn_apply of ../wasm-simd/heap-kernels.wat computes the per-channel factor once
// and applies it four channels at a time in place on the heap. Per-channel statistics over the
// last axis, a multiple of 4, float32; anything else goes to wasm's kernel unchanged.
import { getKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { heapKernels, heapOffset, type HeapOutputBackend as Backend } from '../wasm-simd/heap-kernels';

interface Inputs { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo }

export function makeBatchNormApplyConfig(): KernelConfig {
  const original = getKernel('FusedBatchNorm', 'wasm');
  if (original == null) throw new Error("wasm kernel 'FusedBatchNorm' is not registered");
  const fallback = original.kernelFunc;
  const kernelFunc = ((args: { inputs: Inputs; backend: Backend; attrs: { varianceEpsilon: number } }) => {
    const { inputs: { x, mean, variance, offset, scale }, backend, attrs } = args;
    const c = x.shape[x.shape.length - 1] as number;
    const perChannel = (t?: TensorInfo): boolean => t === undefined || (t.dtype === 'float32' && util.sizeFromShape(t.shape) === c);
    const k = x.dtype === 'float32' && x.shape.length >= 1 && c % 4 === 0 && c > 0 &&
      [mean, variance, offset, scale].every(perChannel) ? heapKernels(backend) : null;
    if (k === null) return fallback(args as never);
    const y = backend.makeOutput(x.shape as number[], 'float32');
    const p = util.sizeFromShape(x.shape) / c;
    if (p === 0) return y;
    const scratch = backend.makeOutput([c], 'float32');
    const at = (t?: TensorInfo): number => (t === undefined ? 0 : heapOffset(backend, t));
    k.bn_apply(at(x), at(y), at(mean), at(variance), at(scale), at(offset), scale ? 1 : 0, offset ? 1 : 0,
      at(scratch), p, c, attrs.varianceEpsilon);
    backend.disposeData(scratch.dataId);
    return y;
  }) as unknown as KernelFunc;
  // Keep the original setupFunc: it binds the wasm function the fallback calls.
  return { kernelName: 'FusedBatchNorm', backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc };
}
