import { initBackend, tf } from '@pawpipe/tf-backend';
import type { WebGpuAdapterInfo } from '@pawpipe/tf-backend';
import { autoMicroBatch, largestActivationBytes, makeModel } from '../src';

beforeAll(async () => { await initBackend('wasm'); });

const model = (size: number): tf.LayersModel => makeModel({ inputShape: [size, size, 3], numClasses: 2, augmentation: false });
const adapter = (bindBytes: number): WebGpuAdapterInfo => ({
  vendor: 'v', architecture: 'a', device: '', description: '', isFallbackAdapter: false,
  maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: bindBytes, maxComputeWorkgroupStorageSize: 32768, maxComputeInvocationsPerWorkgroup: 256,
});

test("the mini-Xception's largest activation per image is entry_conv1's 90x90x128 floats at 180x180", () => {
  const m = model(180);
  expect(largestActivationBytes(m)).toBe(90 * 90 * 128 * 4);
  m.dispose();
});

test('wasm: whole batches where they fit the heap, smaller passes for big images', () => {
  const at = (size: number, batch = 32): number => {
    const m = model(size);
    const n = autoMicroBatch(m, { name: 'wasm' }, batch).microBatch;
    m.dispose();
    return n;
  };
  expect(at(32)).toBe(32);
  expect(at(64)).toBe(32);
  expect(at(180)).toBe(8);
  expect(at(256)).toBe(4);
  expect(at(180, 2)).toBe(2);
});

test("webgpu: from the adapter's binding limit, split into equal passes only when it must", () => {
  const m = model(180);
  const perImage = 90 * 90 * 128 * 4;
  expect(autoMicroBatch(m, { name: 'webgpu', adapter: adapter(2 ** 30) }, 32).microBatch).toBe(32);
  // WebGPU's default limit, 128 MiB, still binds 32 such images (132.7 MB)
  expect(autoMicroBatch(m, { name: 'webgpu', adapter: adapter(2 ** 27) }, 32).microBatch).toBe(32);
  // room for 31: two passes of 16, not 31 + 1
  expect(autoMicroBatch(m, { name: 'webgpu', adapter: adapter(31 * perImage) }, 32).microBatch).toBe(16);
  expect(autoMicroBatch(m, { name: 'webgpu', adapter: adapter(10 * perImage) }, 32).microBatch).toBe(8);
  expect(autoMicroBatch(m, { name: 'webgpu', adapter: adapter(perImage - 1) }, 32).microBatch).toBe(1);
  expect(autoMicroBatch(m, { name: 'webgpu', adapter: adapter(2 ** 27) }, 32).why).toMatch(/15\.8 MiB|4\.0 MiB/);
  m.dispose();
});

test('native backends take the whole batch', () => {
  const m = model(180);
  expect(autoMicroBatch(m, { name: 'tensorflow' }, 32).microBatch).toBe(32);
  m.dispose();
});
