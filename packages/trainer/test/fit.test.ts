import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend, tf } from '@pawpipe/tf-backend';
import {
  KerasProgress, compileForClasses, evaluate, fit, latestCheckpoint, listCheckpoints, loadCheckpoint, readMeta, saveCheckpoint, withBatchNormMomentum,
} from '../src';
import type { CheckpointMeta } from '../src';
import { batchesOf, brightDark, tinyModel } from './helpers';

let dir: string;
beforeAll(async () => { await initBackend('wasm'); });
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-fit-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sink = { text: '', write(s: string) { this.text += s; return true; }, isTTY: false };

function meta(epoch: number, over: Partial<CheckpointMeta> = {}): CheckpointMeta {
  return {
    format: 'pawpipe-checkpoint', formatVersion: 1, runId: 'r1', epoch, epochs: 4, classNames: ['Cat', 'Dog'], imageSize: [8, 8],
    seed: 1, validationSplit: 0.2, batchSize: 8, labelMode: 'binary', backend: tf.getBackend(), augmentation: { placement: 'none' },
    metrics: { loss: 0.5, accuracy: 0.5 }, optimizer: { className: 'Adam', learningRate: 0.01 }, savedAt: new Date().toISOString(), ...over,
  };
}

test('fit lowers the loss on a learnable task, prints Keras lines, and leaks no tensors', async () => {
  const model = tinyModel();
  compileForClasses(model, 2, 0.01);
  const out = { ...sink, text: '' };
  const counts: number[] = [];
  const results = await fit({
    model, numClasses: 2, epochs: 4, numBatches: 6, batches: (e) => batchesOf(e, 6), progress: new KerasProgress(out),
    onEpochEnd: () => { counts.push(tf.memory().numTensors); },
  });
  expect(results).toHaveLength(4);
  expect((results[3] as { loss: number }).loss).toBeLessThan((results[0] as { loss: number }).loss);
  expect(results.every((r) => r.steps === 6 && r.images === 48)).toBe(true);
  expect(new Set(counts.slice(1)).size).toBe(1); // after the optimizer's slots exist, flat
  expect(out.text).toMatch(/^Epoch 1\/4\n6\/6 \[==============================\] - \d+s \d+m?s\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n/);
  expect(out.text).toContain('Epoch 4/4\n');
  model.dispose();
});

test('resume from a checkpoint continues the same run: same weights as training straight through', async () => {
  // Straight through: 2 epochs.
  const a = tinyModel(8, 3);
  compileForClasses(a, 2, 0.01);
  await fit({ model: a, numClasses: 2, epochs: 2, numBatches: 4, batches: (e) => batchesOf(e, 4) });

  // Interrupted: 1 epoch, checkpoint, load into a new model and a new optimizer, 1 more epoch.
  const b = tinyModel(8, 3);
  compileForClasses(b, 2, 0.01);
  await fit({ model: b, numClasses: 2, epochs: 1, numBatches: 4, batches: (e) => batchesOf(e, 4) });
  const saved = await saveCheckpoint(dir, b, meta(1));
  const loaded = await loadCheckpoint(saved, { optimizer: true });
  expect(loaded.meta.epoch).toBe(1);
  expect(loaded.optimizer?.weights[0]?.name).toBe('iter');
  expect(Array.from(loaded.optimizer?.weights[0]?.tensor.dataSync() ?? [])).toEqual([4]);
  const c = loaded.model;
  compileForClasses(c, 2, 0.01);
  await (c.optimizer as tf.Optimizer).setWeights(loaded.optimizer?.weights ?? []);
  await fit({ model: c, numClasses: 2, startEpoch: 1, epochs: 2, numBatches: 4, batches: (e) => batchesOf(e, 4) });

  const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
  const wc = c.getWeights().map((w) => Array.from(w.dataSync()));
  expect(wc.length).toBe(wa.length);
  wa.forEach((w, i) => w.forEach((x, j) => expect((wc[i] as number[])[j]).toBeCloseTo(x, 5)));

  // Without the optimizer state the second epoch goes elsewhere (Adam restarts its moments).
  const d = (await loadCheckpoint(saved)).model;
  compileForClasses(d, 2, 0.01);
  await fit({ model: d, numClasses: 2, startEpoch: 1, epochs: 2, numBatches: 4, batches: (e) => batchesOf(e, 4) });
  const wd = d.getWeights().map((w) => Array.from(w.dataSync()));
  const maxDiff = Math.max(...wa.flatMap((w, i) => w.map((x, j) => Math.abs(x - ((wd[i] as number[])[j] as number)))));
  expect(maxDiff).toBeGreaterThan(1e-4);
  for (const m of [a, b, c, d]) m.dispose();
});

test('checkpoints appear whole: temporaries and incomplete folders are not checkpoints', async () => {
  const m = tinyModel();
  compileForClasses(m, 2);
  await saveCheckpoint(dir, m, meta(1));
  await saveCheckpoint(dir, m, meta(2));
  mkdirSync(path.join(dir, '.save_at_3.tmp-123-abc'));
  writeFileSync(path.join(dir, '.save_at_3.tmp-123-abc', 'model.json'), '{"trunc');
  mkdirSync(path.join(dir, 'save_at_9')); // no meta.json: not complete
  expect((await listCheckpoints(dir)).map((c) => c.epoch)).toEqual([1, 2]);
  expect((await latestCheckpoint(dir))?.epoch).toBe(2);
  expect(readdirSync(path.join(dir, 'save_at_2')).sort()).toEqual(['group1-shard1of1.bin', 'meta.json', 'model.json', 'optimizer.bin', 'optimizer.json']);
  // A corrupted newest checkpoint is skipped with a warning: the previous one is used.
  writeFileSync(path.join(dir, 'save_at_2', 'model.json'), 'garbage');
  const warnings: string[] = [];
  expect((await latestCheckpoint(dir, (w) => warnings.push(w)))?.epoch).toBe(1);
  expect(warnings[0]).toMatch(/save_at_2/);
  await expect(saveCheckpoint(dir, m, meta(1))).rejects.toMatchObject({ code: 'checkpoint-exists' });
  m.dispose();
});

test('meta.json names every other file of the checkpoint with its size and sha256', async () => {
  const m = tinyModel();
  compileForClasses(m, 2);
  const saved = await saveCheckpoint(dir, m, meta(1));
  const files = (await readMeta(saved)).files ?? {};
  expect(Object.keys(files).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'optimizer.bin', 'optimizer.json']);
  for (const [name, f] of Object.entries(files)) {
    const bytes = readFileSync(path.join(saved, name));
    expect(f.bytes).toBe(bytes.length);
    expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(f.part).toBe(name.startsWith('optimizer.') ? 'optimizer' : 'model');
  }
  m.dispose();
});

test('evaluate: loss and accuracy of a known model, confusion matrix rows are true classes', async () => {
  // Dense with zero weights: p = 0.5 for every image -> loss ln 2, predicted class 0 ("> 0.5" is false).
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 3] }), tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'zeros' })] });
  const r = await evaluate(model, batchesOf(0, 3), 2);
  expect(r.images).toBe(24);
  expect(r.loss).toBeCloseTo(Math.log(2), 5);
  expect(r.accuracy).toBeCloseTo(0.5, 5);
  expect(r.confusion).toEqual([[12, 0], [12, 0]]);
  model.dispose();
});

test('withBatchNormMomentum rebuilds the model with the new momentum on every BatchNormalization layer', async () => {
  const m = await withBatchNormMomentum(tinyModel(), 0.9);
  const bn = m.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  expect(bn).toHaveLength(1);
  expect(bn[0]?.getConfig().momentum).toBe(0.9);
  expect(m.outputs[0]?.shape).toEqual([null, 1]);
  await expect(withBatchNormMomentum(m, 1.5)).rejects.toThrow(/momentum/);
  m.dispose();
});

test('recalibrateBatchNorm: same weights, moving statistics re-estimated on the last batches with the final weights', async () => {
  const train = async (recalibrate: number) => {
    const m = tinyModel(8, 11);
    compileForClasses(m, 2, 0.05);
    const before = tf.memory().numTensors;
    const [r] = await fit({ model: m, numClasses: 2, epochs: 1, numBatches: 6, batches: (e) => batchesOf(e, 6), recalibrateBatchNorm: recalibrate });
    return { m, r, grew: tf.memory().numTensors - before };
  };
  const plain = await train(0);
  const precise = await train(4);
  expect(precise.r?.loss).toBeCloseTo(plain.r?.loss as number, 6);
  const trainable = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
  expect(trainable(precise.m)).toEqual(trainable(plain.m));
  // The BatchNormalization input on the last 4 batches, computed with the final weights.
  const convOut = tf.model({ inputs: precise.m.inputs, outputs: precise.m.layers[1]?.output as tf.SymbolicTensor });
  const xs = tf.concat([2, 3, 4, 5].map((i) => { const b = brightDark(0, i); return tf.tensor4d(Float32Array.from(b.images), b.shape); }));
  const target = Array.from(tf.tidy(() => tf.mean(convOut.predict(xs) as tf.Tensor, [0, 1, 2])).dataSync());
  const movingMean = (m: tf.LayersModel) => Array.from((m.layers[2]?.getWeights()[2] as tf.Tensor).dataSync());
  const dist = (a: number[]) => Math.sqrt(a.reduce((s, x, i) => s + (x - (target[i] as number)) ** 2, 0));
  expect(dist(movingMean(precise.m))).toBeLessThan(dist(movingMean(plain.m)));
  expect(precise.grew).toBe(plain.grew); // recalibration leaks no tensors
  xs.dispose();
  plain.m.dispose();
  precise.m.dispose();
});

test('micro-batches: one update per batch, same loss and weights as the whole batch (no BatchNorm)', async () => {
  // Without BatchNormalization the summed gradient of the micro-batches equals the batch gradient.
  const dense = () => tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [8, 8, 3] }),
    tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
  ] });
  const a = dense();
  const b = dense();
  compileForClasses(a, 2, 0.01);
  compileForClasses(b, 2, 0.01);
  const ra = await fit({ model: a, numClasses: 2, epochs: 2, numBatches: 3, batches: (e) => batchesOf(e, 3) });
  const counts: number[] = [];
  const rb = await fit({ model: b, numClasses: 2, epochs: 3, numBatches: 3, batches: (e) => batchesOf(e, 3), microBatch: 3, onEpochEnd: () => { counts.push(tf.memory().numTensors); } });
  expect(counts[2]).toBe(counts[1]); // flat once Adam's slots exist
  await fit({ model: a, numClasses: 2, startEpoch: 2, epochs: 3, numBatches: 3, batches: (e) => batchesOf(e, 3) });
  ra.forEach((r, i) => {
    expect(rb[i]?.loss).toBeCloseTo(r.loss, 4);
    expect(rb[i]?.accuracy).toBeCloseTo(r.accuracy, 6);
  });
  const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
  const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
  wa.forEach((w, i) => w.forEach((x, j) => expect((wb[i] as number[])[j]).toBeCloseTo(x, 4)));
  expect(Array.from((await (b.optimizer as tf.Optimizer).getWeights())[0]?.tensor.dataSync() ?? [])).toEqual([9]); // 3 epochs x 3 batches: one update each
  a.dispose();
  b.dispose();
});
