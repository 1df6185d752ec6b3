// TensorFlow.js' WebGPU backend on Dawn: how it is chosen and described, and gradient parity with
// the cpu backend for every op the mini-Xception trains with, on the stride, padding and shape
// cases tested for wasm. Runs on whatever adapter the machine has; without a GPU that is
// SwiftShader (scripts/provision-swiftshader.sh, which .ci/run calls). Without any adapter the
// suite says "skipped: no WebGPU adapter (why)".
import { batchNormTraining, batchNormTrainingGrad, initBackend, releaseWebGpu, tf, webGpuAdapter, webGpuTestGate } from '../src';
import { convCases, data, maxPoolGrad, nanPoolInput, onBackend, relError, tiedPoolInput, type Data } from './parity-helpers';

const gate = webGpuTestGate();
// eslint-disable-next-line no-console
if (!gate.ok) console.log(`skipped: no WebGPU adapter (${gate.why})`);
const describeGpu = gate.ok ? describe : describe.skip;

// As for wasm: float32 sums in another order differ by a few ulps of the largest partial sums.
const TOLERANCE = 2e-5;

// SwiftShader compiles each new shader on the CPU: generous limits for the first cases
jest.setTimeout(120_000);

async function compare(inputs: Data[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number[]> {
  const cpu = await onBackend('cpu', inputs, fn);
  const gpu = await onBackend('webgpu', inputs, fn);
  return cpu.map((c, i) => relError(gpu[i] as Float32Array, c));
}

describeGpu('initBackend with WebGPU', () => {
  afterAll(releaseWebGpu);

  test("'webgpu' starts on the adapter, describes it, and warns when it is a fallback adapter", async () => {
    const lines: string[] = [];
    const sel = await initBackend('webgpu', { log: (l) => lines.push(l) });
    expect(sel.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(sel.adapter?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20); // WebGPU's guaranteed minimum
    expect(lines[0]).toMatch(/^backend: webgpu \(WebGPU on .+, buffers up to .+, bindings up to .+\)$/);
    if (sel.adapter?.isFallbackAdapter) {
      expect(sel.warning).toMatch(/fallback adapter: a CPU emulation/);
      expect(lines[1]).toMatch(/^warning: /);
    } else {
      expect(sel.warning).toBeUndefined();
    }
    expect(webGpuAdapter()).toEqual(sel.adapter);
    // a second start reuses the running backend (its tensors stay valid)
    const x = tf.tensor([1, 2, 3]);
    const again = await initBackend('webgpu');
    expect(again.adapter).toEqual(sel.adapter);
    expect(Array.from(await x.square().data())).toEqual([1, 4, 9]);
    x.dispose();
  });

  test("'auto' takes WebGPU only on a hardware adapter, and says why it passed over a fallback one", async () => {
    const absent = (): never => { throw new Error('not installed'); };
    const sel = await initBackend('auto', { loadNative: absent });
    const webgpu = sel.passedOver.find((p) => p.name === 'webgpu');
    if (gate.ok && gate.fallback) {
      expect(sel.name).toBe('wasm');
      expect(webgpu?.why).toMatch(/^only a fallback adapter, .+: a CPU emulation, slower than wasm/);
    } else {
      expect(sel.name).toBe('webgpu');
    }
    // the order: tfjs-node-gpu, then WebGPU, then tfjs-node
    expect(sel.passedOver.map((p) => p.name).slice(0, 3)).toEqual(
      sel.name === 'webgpu' ? ['tfjs-node-gpu'] : ['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
  });

  test('releaseWebGpu moves the process off the GPU; WebGPU starts again afterwards', async () => {
    await initBackend('webgpu');
    await releaseWebGpu();
    expect(tf.getBackend()).toBe('cpu');
    expect(webGpuAdapter()).toBeUndefined();
    const sel = await initBackend('webgpu');
    expect(sel.name).toBe('webgpu');
    expect(Array.from(await tf.tensor([2]).mul(3).data())).toEqual([6]);
  });
});

describeGpu('WebGPU gradients match cpu', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
  });
  afterAll(releaseWebGpu);

  test.each(convCases)('conv2d k=$k stride=$s pad=$pad batch=$batch', async ({ k, s, pad, batch, h, w }) => {
    const x = data([batch, h, w, 3], 1 + k * 10 + s);
    const f = data([k, k, 3, 4], 2 + k);
    const errs = await compare([x, f], (xt, ft) => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).square().sum())([xt as tf.Tensor, ft as tf.Tensor]));
    expect(errs[0]).toBeLessThan(TOLERANCE); // dx
    expect(errs[1]).toBeLessThan(TOLERANCE); // dfilter
  });

  test.each(convCases)('depthwise conv (multiplier 1, as SeparableConv2D) k=$k stride=$s pad=$pad batch=$batch', async ({ k, s, pad, batch, h, w }) => {
    const x = data([batch, h, w, 3], 5 + k + s);
    const f = data([k, k, 3, 1], 6 + k);
    const errs = await compare([x, f], (xt, ft) => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).square().sum())([xt as tf.Tensor, ft as tf.Tensor]));
    expect(errs[0]).toBeLessThan(TOLERANCE);
    expect(errs[1]).toBeLessThan(TOLERANCE);
  });

  test('separableConv2d 3x3 then 1x1 (the blocks of the model), with a bias', async () => {
    const inputs = [data([2, 8, 6, 8], 31), data([3, 3, 8, 1], 32), data([1, 1, 8, 16], 33), data([16], 34)];
    const errs = await compare(inputs, (x, dw, pw, b) => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
      tf.separableConv2d(a as tf.Tensor4D, c as tf.Tensor4D, d as tf.Tensor4D, 1, 'same').add(e).square().sum())([x!, dw!, pw!, b!]));
    errs.forEach((e) => expect(e).toBeLessThan(TOLERANCE));
  });

  test.each([
    { k: 3, s: 2, pad: 'same' as const, batch: 3 }, { k: 3, s: 1, pad: 'valid' as const, batch: 1 },
    { k: 2, s: 2, pad: 'valid' as const, batch: 3 }, { k: 2, s: 1, pad: 'same' as const, batch: 1 },
  ])('maxPool k=$k stride=$s pad=$pad batch=$batch (with ties: the first maximum takes the gradient)', async ({ k, s, pad, batch }) => {
    const errs = await compare([tiedPoolInput(batch, 81 + k + s)], (xt) => maxPoolGrad(k, s, pad)(xt as tf.Tensor));
    expect(errs[0]).toBeLessThan(1e-6);
  });

  test('maxPool: NaN and -Infinity never take the gradient; a window of only those passes none', async () => {
    const errs = await compare([nanPoolInput()], (xt) => maxPoolGrad(3, 2, 'same')(xt as tf.Tensor));
    expect(errs[0]).toBe(0);
  });

  test('relu, global average pooling, dense + sigmoid and binary crossentropy', async () => {
    const inputs = [data([4, 5, 5, 8], 91), data([8, 1], 92), data([1], 93)];
    const labels = tf.tensor2d([[1], [0], [0], [1]]);
    const errs = await compare(inputs, (x, k, b) => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
      const pooled = tf.mean(tf.relu(a), [1, 2]);
      const p = tf.sigmoid(tf.matMul(pooled as tf.Tensor2D, c as tf.Tensor2D).add(d));
      return tf.metrics.binaryCrossentropy(labels, p).mean() as tf.Scalar;
    })([x!, k!, b!]));
    errs.forEach((e) => expect(e).toBeLessThan(1e-5));
    labels.dispose();
  });

  test("pawpipe's BatchNormalization in training (batchNormTraining and its closed-form gradient)", async () => {
    const inputs = [data([3, 5, 4, 12], 61), data([12], 62), data([12], 63), data([3, 5, 4, 12], 64)];
    inputs[1]!.values.forEach((v, i, a) => { a[i] = v + 1.5; }); // gamma away from 0
    const fn = (x: tf.Tensor | undefined, gamma: tf.Tensor | undefined, beta: tf.Tensor | undefined, dy: tf.Tensor | undefined): tf.Tensor[] => {
      const { y, mean, variance } = batchNormTraining(x as tf.Tensor4D, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3);
      const { dx, dgamma, dbeta } = batchNormTrainingGrad(x as tf.Tensor4D, dy as tf.Tensor4D, mean, variance, gamma as tf.Tensor1D, 1e-3);
      return [y, mean, variance, dx, dgamma, dbeta];
    };
    const errs = await compare(inputs, fn);
    errs.forEach((e) => expect(e).toBeLessThan(1e-5));
  });

  test('inference BatchNorm (FusedBatchNorm) and its gradient', async () => {
    const inputs = [data([3, 5, 5, 4], 71), data([4], 72), data([4], 73), data([4], 74), data([4], 75)];
    inputs[2]!.values.forEach((v, i, a) => { a[i] = Math.abs(v) + 0.5; }); // variance > 0
    const errs = await compare(inputs, (x, mean, variance, offset, scale) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
        tf.batchNorm(a, b, c, d, e, 1e-3).square().sum())([x!, mean!, variance!, offset!, scale!]));
    errs.forEach((e) => expect(e).toBeLessThan(1e-5));
  });

  test('a training step frees every intermediate on the GPU (tensors and buffers)', async () => {
    await tf.setBackend('webgpu');
    const x = tf.tensor(data([2, 9, 7, 3], 71).values, [2, 9, 7, 3]) as tf.Tensor4D;
    const f = tf.tensor(data([3, 3, 3, 4], 72).values, [3, 3, 3, 4]) as tf.Tensor4D;
    const step = async (): Promise<void> => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').relu().sum())([x, f]);
      await g[1]!.data();
      tf.dispose(g);
    };
    await step();
    const backend = tf.engine().backend as unknown as { numDataIds(): number };
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 3; i++) await step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([x, f]);
  });
});
