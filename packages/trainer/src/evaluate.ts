import { tf } from '@pawpipe/tf-backend';
import type { TrainingBatch } from './tensors';

export interface Evaluation {
  /** mean loss over the images (binary or categorical crossentropy, as compile() chose) */
  loss: number;
  accuracy: number;
  images: number;
  /** confusion[true][predicted] */
  confusion: number[][];
}

/** Keras backend epsilon: predictions are clipped to [eps, 1 - eps] inside the crossentropies. */
const EPSILON = 1e-7;

/**
 * Score a model on batches (inference mode: Dropout off, BatchNorm moving statistics, no
 * augmentation layers), with the loss the trainer uses. `onBatch` sees each batch with the
 * model's outputs (one sigmoid per image for two classes, else `numClasses` softmax values), so a
 * caller can look at single images without a second pass.
 */
export async function evaluate(
  model: tf.LayersModel, batches: AsyncIterable<TrainingBatch>, numClasses: number,
  onBatch?: (batch: TrainingBatch, outputs: Float32Array) => void,
): Promise<Evaluation> {
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  for await (const b of batches) {
    const n = b.shape[0];
    const probs = tf.tidy(() => {
      const xs = tf.tensor4d(Float32Array.from(b.images), b.shape, 'float32');
      return model.predict(xs) as tf.Tensor;
    });
    const p = (await probs.data()) as Float32Array;
    probs.dispose();
    onBatch?.(b, p);
    for (let i = 0; i < n; i++) {
      const truth = trueClass(b, i, numClasses);
      let predicted: number;
      if (numClasses === 2) {
        const q = Math.min(Math.max(p[i] as number, EPSILON), 1 - EPSILON);
        lossSum += truth === 1 ? -Math.log(q) : -Math.log(1 - q);
        predicted = (p[i] as number) > 0.5 ? 1 : 0;
      } else {
        let best = 0;
        for (let k = 1; k < numClasses; k++) if ((p[i * numClasses + k] as number) > (p[i * numClasses + best] as number)) best = k;
        predicted = best;
        lossSum += -Math.log(Math.min(Math.max(p[i * numClasses + truth] as number, EPSILON), 1 - EPSILON));
      }
      if (predicted === truth) correct++;
      const row = confusion[truth] as number[];
      row[predicted] = (row[predicted] ?? 0) + 1;
      images++;
    }
  }
  return { loss: lossSum / Math.max(1, images), accuracy: correct / Math.max(1, images), images, confusion };
}

function trueClass(b: TrainingBatch, i: number, k: number): number {
  if (b.labelMode === 'categorical') {
    for (let j = 0; j < k; j++) if (b.labels[i * k + j] === 1) return j;
    return 0;
  }
  return b.labels[i] as number;
}
