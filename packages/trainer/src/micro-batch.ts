import { tf } from '@pawpipe/tf-backend';

/**
 * One optimizer step over a batch split into micro-batches whose gradients are summed before a
 * single update (gradient accumulation), with Keras' metrics: the batch's mean loss and accuracy.
 * Why: tfjs keeps every intermediate of the forward pass until the gradient is taken; the
 * mini-Xception at 180x180 needs far more than the wasm backend's 4 GB heap for a batch of 32
 * (see @pawpipe/model's trainStep, same technique). BatchNormalization then normalises each
 * micro-batch with its own statistics ("ghost batch norm").
 */
export function trainOnMicroBatches(model: tf.LayersModel, xs: tf.Tensor4D, ys: tf.Tensor2D, microBatch: number): [number, number] {
  const optimizer = model.optimizer;
  const n = xs.shape[0];
  const micro = Math.max(1, Math.min(n, microBatch));
  const binary = ys.shape[1] === 1;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let total: tf.NamedTensorMap | undefined;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      const x = xs.slice(start, size);
      const y = ys.slice(start, size);
      const pred = model.apply(x, { training: true }) as tf.Tensor2D;
      const losses = binary ? tf.metrics.binaryCrossentropy(y, pred) : tf.metrics.categoricalCrossentropy(y, pred);
      const acc = binary ? tf.metrics.binaryAccuracy(y, pred) : tf.metrics.categoricalAccuracy(y, pred);
      hits = tf.keep(tf.sum(acc)) as tf.Scalar;
      // weighted so that the summed gradient is the gradient of the whole batch's mean loss
      return tf.mul(tf.mean(losses), size / n) as tf.Scalar;
    }), vars);
    lossSum += (value.dataSync()[0] as number);
    correct += (hits as tf.Scalar).dataSync()[0] as number;
    tf.dispose([value, hits as tf.Scalar]);
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
  return [lossSum, correct / n];
}
