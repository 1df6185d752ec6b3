import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, loadModelFromDir, saveModelToDir, tf } from '@pawpipe/tf-backend';
import { makeModel, plotModel, trainStep } from '../src';

beforeAll(async () => {
  await initBackend('wasm', { loadNative: () => { throw new Error('absent'); } });
});

function learnableBatch(n: number, s: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  // label 1: bright left half; label 0: bright right half
  const values = new Float32Array(n * s * s * 3);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels.push(label);
    for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) for (let k = 0; k < 3; k++) {
      const bright = label === 1 ? c < s / 2 : c >= s / 2;
      values[((i * s + r) * s + c) * 3 + k] = bright ? 230 : 20;
    }
  }
  return { x: tf.tensor4d(values, [n, s, s, 3]), y: tf.tensor2d(labels, [n, 1]) };
}

test('a few Adam steps on wasm lower the loss on a tiny learnable batch, without leaking tensors', async () => {
  expect(tf.getBackend()).toBe('wasm');
  const model = makeModel({ inputShape: [24, 24, 3], numClasses: 2, augmentation: { flip: 'vertical', rotation: 0.02, seed: 1 } });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  const { x, y } = learnableBatch(8, 24);
  const losses: number[] = [];
  let tensorsAfterFirst = 0;
  for (let i = 0; i < 6; i++) {
    losses.push(await model.trainOnBatch(x, y) as number);
    if (i === 0) tensorsAfterFirst = tf.memory().numTensors;
  }
  expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
  expect(losses[5]!).toBeLessThan(losses[0]! * 0.7);
  tf.dispose([x, y]);
  model.dispose();
});

test("the wasm heap stops growing after the first steps (no leak below the engine, e.g. XNNPACK caches)", async () => {
  const model = makeModel({ inputShape: [24, 24, 3], numClasses: 2, augmentation: false });
  const opt = tf.train.adam(1e-3);
  const { x, y } = learnableBatch(8, 24);
  const heap = (): number => (tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  for (let i = 0; i < 3; i++) await trainStep(model, opt, x, y);
  const settled = heap();
  for (let i = 0; i < 6; i++) await trainStep(model, opt, x, y);
  expect(heap()).toBe(settled);
  tf.dispose([x, y]);
  model.dispose();
});

test('a model with RandomFlip/RandomRotation saves and loads with equal predictions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pawpipe-model-'));
  try {
    const model = makeModel({ inputShape: [20, 20, 3], numClasses: 3, augmentation: { flip: 'horizontal', rotation: 0.1, seed: 5 } });
    await saveModelToDir(model, dir);
    const loaded = await loadModelFromDir(dir);
    expect(loaded.layers.map((l) => l.getClassName())).toContain('RandomRotation');
    const rot = loaded.getLayer('random_rotation').getConfig();
    expect(rot).toMatchObject({ factor: 0.1, fillMode: 'reflect', interpolation: 'bilinear', seed: 6 });
    expect(loaded.getLayer('random_flip').getConfig()).toMatchObject({ mode: 'horizontal', seed: 5 });
    const x = tf.randomUniform([2, 20, 20, 3], 0, 255, 'float32', 11);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('plotModel writes an SVG with every layer and its shapes, and a PNG', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pawpipe-plot-'));
  try {
    const model = makeModel({ inputShape: [180, 180, 3], numClasses: 2 });
    await plotModel(model, path.join(dir, 'model.svg'));
    await plotModel(model, path.join(dir, 'model.png'));
    const svg = fs.readFileSync(path.join(dir, 'model.svg'), 'utf8');
    for (const l of model.layers) expect(svg).toContain(`>${l.name}<`);
    expect(svg).toContain('output: (None, 45, 45, 128)');
    expect(svg.match(/<path d=/g)?.length).toBeGreaterThanOrEqual(8); // residual edges
    const png = fs.readFileSync(path.join(dir, 'model.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    await expect(plotModel(model, path.join(dir, 'model.gif'))).rejects.toThrow(/\.svg or \.png/);
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
