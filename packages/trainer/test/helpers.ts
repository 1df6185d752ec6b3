import { batchNormalization, conv2d } from '@pawpipe/model';
import { tf } from '@pawpipe/tf-backend';
import type { TrainingBatch } from '../src';

/**
 * A tiny conv net without dropout (deterministic training, for exact resume checks). Its
 * Conv2D and BatchNormalization are @pawpipe/model's, the classes a loaded checkpoint gets (the
 * trainer imports @pawpipe/model), so a model trained straight through and a resumed one run the
 * same code (stock tfjs' fused conv rounds the bias addition differently, which Adam amplifies).
 */
export function tinyModel(size = 8, seed = 1): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    layers: [
      tf.layers.rescaling({ scale: 1 / 255, inputShape: [size, size, 3] }),
      conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(0) }),
      batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(1) }),
    ],
  });
}

/** Learnable batches: class 1 images are bright, class 0 dark, with deterministic noise. */
export function brightDark(epoch: number, index: number, n = 8, size = 8): TrainingBatch {
  const images = new Uint8Array(n * size * size * 3);
  const labels = new Float32Array(n);
  let s = (epoch * 7919 + index * 104729 + 1) >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const y = (i + index) % 2;
    labels[i] = y;
    for (let p = 0; p < size * size * 3; p++) images[i * size * size * 3 + p] = Math.round((y ? 150 : 60) + rnd() * 60);
  }
  return { epoch, index, images, shape: [n, size, size, 3], labels, labelMode: 'binary' };
}

export async function* batchesOf(epoch: number, count: number, n = 8, size = 8): AsyncGenerator<TrainingBatch> {
  for (let i = 0; i < count; i++) yield brightDark(epoch, i, n, size);
}
