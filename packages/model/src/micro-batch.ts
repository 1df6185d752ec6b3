// How many images one forward/backward pass may take on the backend in use ('--micro-batch auto'):
// gradients of a batch's micro-batches are summed into one update (./train-step.ts).
import type { BackendSelection } from '@pawpipe/tf-backend';
import type { tf } from '@pawpipe/tf-backend';

/**
 * Bytes of the largest tensor a layer of `model` produces for one image (float32). On WebGPU every
 * tensor is one storage buffer, and its kernels bind whole buffers (tfjs' conv2d on WebGPU is an
 * implicit GEMM, without an im2col copy), so this times the micro-batch must fit the adapter's
 * maxStorageBufferBindingSize.
 */
export function largestActivationBytes(model: tf.LayersModel): number {
  let most = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as Array<Array<number | null>>;
    for (const shape of shapes) {
      const perImage = shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
      most = Math.max(most, perImage * 4);
    }
  }
  return most;
}

/**
 * wasm: tfjs keeps the activations alive for the gradient, about 0.235 GB per image for the
 * mini-Xception at 180x180 (heap after two steps: 0.95 GB with micro-batches of 4, 1.87 GB with
 * 8), scaling with the pixel count; a ~2 GB budget leaves the 4 GB heap room for fragmentation.
 */
function wasmMicroBatch(batchSize: number, imageSize: [number, number]): number {
  const perImage = 0.235e9 * (imageSize[0] * imageSize[1]) / (180 * 180);
  return Math.max(1, Math.min(batchSize, Math.floor(2e9 / perImage)));
}

export interface MicroBatchChoice {
  microBatch: number;
  /** why that size, for the log */
  why: string;
}

/**
 * The micro-batch for `model` on the selected backend: wasm from its 4 GB heap, WebGPU from the
 * adapter's binding limit (WebGPU does not report the GPU's memory; a batch that does not fit it
 * fails when buffers are created, and --micro-batch N overrides), native backends the whole batch.
 */
export function autoMicroBatch(
  model: tf.LayersModel, backend: Pick<BackendSelection, 'name' | 'adapter'>, batchSize: number,
): MicroBatchChoice {
  const [h, w] = (model.inputs[0]?.shape.slice(1, 3) ?? [0, 0]) as [number, number];
  if (backend.name === 'wasm') {
    const microBatch = wasmMicroBatch(batchSize, [h, w]);
    return { microBatch, why: `what fits wasm's 4 GB heap at ${h}x${w}` };
  }
  if (backend.name === 'webgpu' && backend.adapter) {
    const limit = Math.min(backend.adapter.maxStorageBufferBindingSize, backend.adapter.maxBufferSize);
    const perImage = largestActivationBytes(model);
    const fits = Math.max(1, Math.floor(limit / perImage));
    // equal micro-batches where it has to split (e.g. 16 + 16, not 31 + 1)
    const parts = Math.ceil(batchSize / Math.min(batchSize, fits));
    const microBatch = Math.ceil(batchSize / parts);
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
    return {
      microBatch,
      why: `the largest activation is ${mib(perImage)} per image and the adapter binds up to ${mib(limit)}`,
    };
  }
  return { microBatch: batchSize, why: `${backend.name} takes the whole batch` };
}
