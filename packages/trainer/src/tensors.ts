import { tf } from '@pawpipe/tf-backend';
import { TrainerError } from './errors';

/** A batch as the trainer consumes it (the data pipeline's Batch, or one received over ZeroMQ). */
export interface TrainingBatch {
  epoch: number;
  index: number;
  images: Uint8Array;
  shape: [number, number, number, number];
  labels: Float32Array;
  labelMode: string;
}

/**
 * uint8 NHWC -> float32 in [0, 255] (the model starts with Rescaling(1/255)); labels -> the shape the
 * loss wants: [n, 1] for 2 classes, one-hot [n, k] otherwise.
 */
export function batchToTensors(b: TrainingBatch, numClasses: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const [n, h, w, c] = b.shape;
  if (b.images.length !== n * h * w * c) throw new TrainerError('bad-batch', `batch (${b.epoch}, ${b.index}): ${b.images.length} pixels for shape ${b.shape.join('x')}`);
  const xs = tf.tensor4d(Float32Array.from(b.images), b.shape, 'float32');
  let ys: tf.Tensor2D;
  if (numClasses === 2) {
    if (b.labelMode === 'categorical') {
      // one-hot [n, 2] -> P(class 1)
      const l = new Float32Array(n);
      for (let i = 0; i < n; i++) l[i] = b.labels[i * 2 + 1] as number;
      ys = tf.tensor2d(l, [n, 1]);
    } else {
      ys = tf.tensor2d(b.labels, [n, 1]);
    }
  } else if (b.labelMode === 'categorical') {
    ys = tf.tensor2d(b.labels, [n, numClasses]);
  } else {
    ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(b.labels), 'int32'), numClasses).toFloat() as tf.Tensor2D);
  }
  return { xs, ys };
}
