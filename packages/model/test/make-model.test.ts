import { initBackend, tf } from '@pawpipe/tf-backend';
import { makeModel, modelSummary } from '../src';

beforeAll(async () => {
  await initBackend('wasm');
});

// Expected output shape of every layer: Keras' model.summary() for the tutorial's make_model
// (padding 'same': stride 2 halves with ceil: 180 -> 90 -> 45 -> 23 -> 12 -> 6).
function expectedShapes(s: number): Record<string, number[]> {
  const half = (n: number): number => Math.ceil(n / 2);
  const e: Record<string, number[]> = {};
  const a = half(s);
  for (const n of ['image', 'random_flip', 'random_rotation', 'rescaling']) e[n] = [s, s, 3];
  for (const n of ['entry_conv1', 'entry_bn1', 'entry_relu1']) e[n] = [a, a, 32];
  for (const n of ['entry_conv2', 'entry_bn2', 'entry_relu2']) e[n] = [a, a, 64];
  let cur = a;
  let prevC = 64;
  for (const size of [128, 256, 512, 728]) {
    const b = `block${size}`;
    e[`${b}_relu1`] = [cur, cur, prevC];
    for (const n of ['sepconv1', 'bn1', 'relu2', 'sepconv2', 'bn2']) e[`${b}_${n}`] = [cur, cur, size];
    cur = half(cur);
    for (const n of ['pool', 'residual', 'add']) e[`${b}_${n}`] = [cur, cur, size];
    prevC = size;
  }
  for (const n of ['exit_sepconv', 'exit_bn', 'exit_relu']) e[n] = [cur, cur, 1024];
  e['global_pool'] = [1024];
  e['dropout'] = [1024];
  e['predictions'] = [1];
  return e;
}

test.each([180, 64, 33])('every layer has the Keras output shape at %i pixels square', (s) => {
  const model = makeModel({ inputShape: [s, s, 3], numClasses: 2 });
  const want = expectedShapes(s);
  expect(model.layers.map((l) => l.name).sort()).toEqual(Object.keys(want).sort());
  for (const layer of model.layers) {
    expect([layer.name, (layer.outputShape as number[]).slice(1)]).toEqual([layer.name, want[layer.name]]);
  }
  model.dispose();
});

test('2,782,649 parameters at 180x180x3 with 2 classes, as Keras reports', () => {
  const model = makeModel({ inputShape: [180, 180, 3], numClasses: 2 });
  expect(model.countParams()).toBe(2_782_649);
  const summary = modelSummary(model);
  expect(summary).toContain('Total params: 2,782,649');
  expect(summary).toContain('Trainable params: 2,773,913');
  expect(summary).toContain('Non-trainable params: 8,736');
  expect(summary).toMatch(/block128_add \(Add\)\s+\(None, 45, 45, 128\)\s+0\s+block128_pool, block128_residual/);
  model.dispose();
});

test('more than two classes end in a softmax over numClasses; the parameter count is the size, not the resolution', () => {
  const model = makeModel({ inputShape: [64, 64, 3], numClasses: 5, augmentation: false });
  const head = model.getLayer('predictions');
  expect(head.outputShape).toEqual([null, 5]);
  expect((head.getConfig() as { activation: string }).activation).toBe('softmax');
  expect(model.layers.some((l) => l.name.startsWith('random_'))).toBe(false);
  // 2,782,649 - 1,025 (Dense 1) + 1024*5 + 5
  expect(model.countParams()).toBe(2_782_649 - 1025 + 1024 * 5 + 5);
  model.dispose();
});

test('bad configs are refused with a message naming the field', () => {
  expect(() => makeModel({ inputShape: [0, 10, 3], numClasses: 2 })).toThrow(/inputShape/);
  expect(() => makeModel({ inputShape: [10, 10, 3], numClasses: 1 })).toThrow(/numClasses/);
});
