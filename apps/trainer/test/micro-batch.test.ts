import { autoMicroBatch } from '../src';

test('auto micro-batch: whole batches where they fit, smaller passes for big images on wasm, whole batches on native backends', () => {
  expect(autoMicroBatch('wasm', 32, [32, 32])).toBe(32);
  expect(autoMicroBatch('wasm', 32, [64, 64])).toBe(32);
  expect(autoMicroBatch('wasm', 32, [180, 180])).toBe(8);
  expect(autoMicroBatch('wasm', 32, [256, 256])).toBe(4);
  expect(autoMicroBatch('wasm', 2, [180, 180])).toBe(2);
  expect(autoMicroBatch('tensorflow', 32, [180, 180])).toBe(32);
});
