import { initBackend, tf } from '@pawpipe/tf-backend';
import { makeModel, trainStep } from '../src';

beforeAll(async () => {
  await initBackend('wasm');
});

function denseModel(): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const h = tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

test('micro-batches sum to the full-batch gradient (a model without BatchNorm)', async () => {
  const x = tf.randomNormal([6, 5], 0, 1, 'float32', 3);
  const y = tf.tensor2d([[0], [1], [1], [0], [1], [0]]);
  const a = denseModel();
  const b = denseModel();
  const stepA = await trainStep(a, tf.train.sgd(0.5), x, y);
  const stepB = await trainStep(b, tf.train.sgd(0.5), x, y, { microBatch: 4 }); // 4 + 2: uneven on purpose
  expect(stepB.loss).toBeCloseTo(stepA.loss, 5);
  // accuracy counts every image once, however the batch is split
  expect(stepB.accuracy).toBeCloseTo(stepA.accuracy, 6);
  expect(stepA.accuracy * 6).toBeCloseTo(Math.round(stepA.accuracy * 6), 6);
  a.getWeights().forEach((w, i) => {
    const diff = tf.max(tf.abs(tf.sub(w, b.getWeights()[i]!))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-6);
  });
  tf.dispose([x, y]);
  a.dispose();
  b.dispose();
});

test('trainStep with micro-batches trains the mini-Xception on wasm without leaking tensors', async () => {
  const model = makeModel({ inputShape: [16, 16, 3], numClasses: 2, augmentation: false });
  const opt = tf.train.adam(1e-3);
  // label 1: bright left half, label 0: bright right half; both labels in every micro-batch
  // (BatchNorm uses per-micro-batch statistics)
  const left = tf.concat([tf.fill([1, 16, 8, 3], 220), tf.fill([1, 16, 8, 3], 30)], 2);
  const right = tf.reverse(left, 2);
  const x = tf.concat([left, right, left, right, left, right, left, right]);
  const y = tf.tensor2d([[1], [0], [1], [0], [1], [0], [1], [0]]);
  tf.dispose([left, right]);
  const first = (await trainStep(model, opt, x, y, { microBatch: 4 })).loss;
  const tensors = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 4; i++) last = (await trainStep(model, opt, x, y, { microBatch: 4 })).loss;
  expect(tf.memory().numTensors).toBe(tensors);
  expect(last).toBeLessThan(first);
  tf.dispose([x, y]);
  model.dispose();
});
