// One optimiser step over a batch, optionally as several micro-batches whose gradients are
// summed before a single update (gradient accumulation). Why: tfjs keeps every intermediate of
// the forward pass alive until the gradient scope ends; for the mini-Xception at 180x180 that is
// ~0.23 GB per image on wasm (0.95 GB of heap for 4, 1.87 GB for 8), so batch 32 (~7.5 GB)
// cannot fit the wasm backend's 32-bit (4 GB) heap, while micro-batches of 8 peak near 1.9 GB.
// BatchNormalization then normalises with per-micro-batch statistics ("ghost batches").
import { tf } from '@pawpipe/tf-backend';

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export interface TrainStepOptions {
  /** Images per forward/backward pass; default the whole batch. */
  microBatch?: number;
  /** Default: binary crossentropy for one output unit, else categorical crossentropy. */
  loss?: LossFn;
}

function defaultLoss(model: tf.LayersModel): LossFn {
  const units = (model.outputs[0]?.shape.at(-1) ?? 1) as number;
  return units === 1 ? (t, p) => tf.metrics.binaryCrossentropy(t, p) : (t, p) => tf.metrics.categoricalCrossentropy(t, p);
}

/** Keras' accuracy for the model's head: binary (threshold 0.5) for one unit, else categorical. */
function defaultAccuracy(model: tf.LayersModel): LossFn {
  const units = (model.outputs[0]?.shape.at(-1) ?? 1) as number;
  return units === 1 ? (t, p) => tf.metrics.binaryAccuracy(t, p) : (t, p) => tf.metrics.categoricalAccuracy(t, p);
}

export interface TrainStepResult {
  /** The batch's mean loss. */
  loss: number;
  /** The batch's accuracy (Keras' metric for the head), measured on the training forward pass. */
  accuracy: number;
}

/**
 * Runs forward, backward and optimizer.applyGradients; resolves to the batch's mean loss and
 * accuracy. The two numbers are read back once, after the update, and asynchronously: a
 * synchronous read stalls the GPU queue, and on WebGPU in Node it throws.
 */
export async function trainStep(
  model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor, opts: TrainStepOptions = {},
): Promise<TrainStepResult> {
  const n = x.shape[0] as number;
  const micro = Math.max(1, Math.min(n, opts.microBatch ?? n));
  const lossFn = opts.loss ?? defaultLoss(model);
  const accuracyFn = defaultAccuracy(model);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let total: tf.NamedTensorMap | undefined;
  const losses: tf.Scalar[] = [];
  const hitCounts: tf.Scalar[] = [];
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      // the whole batch in one pass needs no slice (wasm's Slice copies the whole batch)
      const xs = size === n ? x : x.slice(start, size);
      const ys = size === n ? y : y.slice(start, size);
      const pred = model.apply(xs, { training: true }) as tf.Tensor;
      hits = tf.keep(tf.sum(accuracyFn(ys, pred))) as tf.Scalar;
      // weighted so the summed gradient is the gradient of the whole batch's mean loss
      return tf.mul(tf.mean(lossFn(ys, pred)), size / n) as tf.Scalar;
    }), vars);
    losses.push(value);
    hitCounts.push(hits as tf.Scalar);
    if (total === undefined) {
      total = grads;
    } else {
      const prev: tf.NamedTensorMap = total;
      total = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.add(prev[k] as tf.Tensor, g)]));
      tf.dispose([...Object.values(prev), ...Object.values(grads)]);
    }
  }
  optimizer.applyGradients(total as tf.NamedTensorMap);
  tf.dispose(Object.values(total as tf.NamedTensorMap));
  const sums = tf.tidy(() => tf.stack([tf.addN(losses), tf.addN(hitCounts)]));
  tf.dispose([...losses, ...hitCounts]);
  const [loss, correct] = await sums.data();
  sums.dispose();
  return { loss: loss as number, accuracy: (correct as number) / n };
}
