// Registers the gradient kernels tfjs-backend-wasm 4.22 lacks (tfjs issue 8474) so conv nets
// train on wasm, and replaces its scalar-loop Conv2DBackpropInput with an XNNPACK-backed one,
// its window-recomputing MaxPoolGrad with a one-argmax-per-window one, its transposing Sum/Mean
// over NHWC batch/spatial axes with average pools, and the core BatchNorm gradient with a
// tile-free one, and its copying Identity with a shared reference; and adds fused SIMD kernels for
// BatchNormalization in training (batch-norm-train.ts) and a one-pass Relu gradient (relu-grad.ts).
// See each file for measurements.
// Idempotent: initBackend and tests may both call it.
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input';
import { makeBatchNormApplyConfig } from './batch-norm-apply';
import { batchNormTrainConfigs } from './batch-norm-train';
import { identityConfig } from './identity';
import { maxPoolGradConfig } from './max-pool-grad';
import { registerReluGradient, reluGradKernelConfig } from './relu-grad';
import { registerBatchNormGradient } from './batch-norm-grad';
import { makeReductionConfig } from './reductions';

export const wasmGradientKernels: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  maxPoolGradConfig,
  identityConfig,
  ...batchNormTrainConfigs,
  reluGradKernelConfig,
];

/** Wrappers around wasm's own kernels, made once (each captures the original as its fallback). */
let wrapperConfigs: KernelConfig[] | undefined;

/**
 * Registers the kernels above, the faster Sum/Mean/FusedBatchNorm wrappers and the gradients.
 * Returns the kernel names it (re)registered now; a second call is a no-op returning [].
 * Must run after tfjs-backend-wasm is imported (its kernels are what the wrappers fall back to).
 */
export function registerWasmGradientKernels(): string[] {
  const done: string[] = [];
  wrapperConfigs ??= [makeReductionConfig('Sum'), makeReductionConfig('Mean'), makeBatchNormApplyConfig()];
  registerBatchNormGradient();
  registerReluGradient();
  for (const config of [...wasmGradientKernels, ...wrapperConfigs]) {
    const present = getKernel(config.kernelName, 'wasm');
    if (present?.kernelFunc === config.kernelFunc) continue;
    if (present != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
    done.push(config.kernelName);
  }
  return done;
}
