// The SIMD training kernels of src/wasm-simd/heap-kernels.wat that pawpipe adds beyond tfjs'
// kernel set: the depthwise filter gradient (multiplier 1) and BatchNormalization in training
// (batchNormTraining / batchNormTrainingGrad). Each against the cpu backend and against its own
// non-SIMD path on wasm, on channel counts that exercise the 16-, 4- and 1-channel loops.
import { batchNormTraining, batchNormTrainingGrad, initBackend, tf } from '../src';
import { heapKernelStatus, setHeapKernelsEnabled } from '../src/wasm-simd/heap-kernels';
import { data, onBackend, relError, type Data } from './parity-helpers';

const TOLERANCE = 2e-5;

beforeAll(async () => {
  await initBackend('wasm');
});

afterEach(() => setHeapKernelsEnabled(true));

test('the SIMD kernels are what runs on wasm here', () => {
  expect(heapKernelStatus(tf.backend() as never)).toMatch(/^wasm-simd/);
});

/** Runs fn on wasm with the SIMD kernels, on wasm without them, and on cpu. */
async function threeWays(inputs: Data[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<{ simd: Float32Array[]; plain: Float32Array[]; cpu: Float32Array[] }> {
  const simd = await onBackend('wasm', inputs, fn);
  setHeapKernelsEnabled(false);
  const plain = await onBackend('wasm', inputs, fn);
  setHeapKernelsEnabled(true);
  const cpu = await onBackend('cpu', inputs, fn);
  await tf.setBackend('wasm');
  return { simd, plain, cpu };
}

describe('DepthwiseConv2dNativeBackpropFilter, multiplier 1', () => {
  const cases = [
    { c: 20, k: 3, s: 1, pad: 'same' as const, d: 1 },
    { c: 23, k: 3, s: 2, pad: 'same' as const, d: 1 },
    { c: 16, k: 5, s: 1, pad: 'valid' as const, d: 1 },
    { c: 36, k: 3, s: 1, pad: 'same' as const, d: 2 },
    { c: 7, k: 1, s: 2, pad: 'valid' as const, d: 1 },
  ];
  test.each(cases)('c=$c k=$k stride=$s pad=$pad dilation=$d', async ({ c, k, s, pad, d }) => {
    const xShape: [number, number, number, number] = [3, 11, 9, c];
    const probe = tf.depthwiseConv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros([k, k, c, 1]) as tf.Tensor4D, s, pad, 'NHWC', d);
    const dyShape = probe.shape;
    probe.dispose();
    const attrs = { strides: s, pad, dilations: d, filterShape: [k, k, c, 1] };
    const { simd, plain, cpu } = await threeWays([data(xShape, 1), data(dyShape, 2)], (x, dy) => [
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: x!, dy: dy! }, attrs) as tf.Tensor,
    ]);
    expect(simd[0]).toHaveLength(k * k * c);
    expect(relError(simd[0]!, plain[0]!)).toBeLessThan(TOLERANCE);
    // the cpu kernel ignores dilation (see the README), so it is the reference only for d = 1
    if (d === 1) expect(relError(simd[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
  });
});

describe('batchNormTraining and its gradient', () => {
  const EPS = 1e-3;
  test.each([
    { c: 8, path: 'SIMD' }, { c: 12, path: 'SIMD' }, { c: 128, path: 'SIMD' }, { c: 6, path: 'tf ops (not a multiple of 4)' },
  ])('$c channels: $path', async ({ c }) => {
    const shape = [3, 9, 7, c];
    const inputs = [data(shape, 3), data(shape, 4), data([c], 5), data([c], 6)];
    const fn = (x?: tf.Tensor, dy?: tf.Tensor, g?: tf.Tensor, b?: tf.Tensor): tf.Tensor[] => {
      // x shifted off zero so the mean matters; gamma around 1
      const xs = tf.add(tf.mul(x!, 3), 2) as tf.Tensor4D;
      const gamma = tf.add(g!, 1.5) as tf.Tensor1D;
      const fwd = batchNormTraining(xs, gamma, b as tf.Tensor1D, EPS);
      const bwd = batchNormTrainingGrad(xs, dy as tf.Tensor4D, fwd.mean, fwd.variance, gamma, EPS);
      return [fwd.y, fwd.mean, fwd.variance, bwd.dx, bwd.dgamma, bwd.dbeta];
    };
    const { simd, plain, cpu } = await threeWays(inputs, fn);
    simd.forEach((t, i) => {
      expect(relError(t, cpu[i]!)).toBeLessThan(TOLERANCE);
      expect(relError(t, plain[i]!)).toBeLessThan(TOLERANCE);
    });
  });

  test('the fused path is a single kernel each way and leaves nothing behind', async () => {
    const x = tf.randomNormal([2, 5, 5, 8], 1, 2, 'float32', 7) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 5, 5, 8], 0, 1, 'float32', 8) as tf.Tensor4D;
    const gamma = tf.ones([8]) as tf.Tensor1D;
    const beta = tf.zeros([8]) as tf.Tensor1D;
    const before = { tensors: tf.memory().numTensors, data: tf.backend().numDataIds() };
    const info = await tf.profile(() => {
      const f = batchNormTraining(x, gamma, beta, EPS);
      const g = batchNormTrainingGrad(x, dy, f.mean, f.variance, gamma, EPS);
      tf.dispose([f.y, f.mean, f.variance, g.dx, g.dgamma, g.dbeta]);
    });
    expect(info.kernels.map((k) => k.name)).toEqual(['PawpipeBatchNormTrain', 'PawpipeBatchNormTrainGrad']);
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.backend().numDataIds()).toBe(before.data);
    tf.dispose([x, dy, gamma, beta]);
  });
});

describe('the Relu gradient', () => {
  test.each([4 * 9 * 7 * 8, 1001])('%i values: SIMD equals tfjs\' mul(dy, step(x)) on cpu, NaN and infinities included', async (size) => {
    const x = data([size], 9);
    const dy = data([size], 10);
    // zeros, NaN and infinities where they decide the result, in both the vector body and the tail
    for (const at of [0, 1, 5, size - 1, size - 2]) x.values[at] = 0;
    x.values[2] = NaN;
    x.values[size - 3] = NaN;
    dy.values[3] = Infinity;
    x.values[3] = -1; // Infinity * 0 = NaN, as tfjs' multiply gives
    dy.values[4] = -Infinity;
    x.values[4] = 2;
    const fn = (a?: tf.Tensor, b?: tf.Tensor): tf.Tensor[] => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), b!)))(a!)];
    const { simd, plain, cpu } = await threeWays([x, dy], fn);
    const same = (a: Float32Array, b: Float32Array): void => expect(Array.from(a).map(String)).toEqual(Array.from(b).map(String));
    same(simd[0]!, cpu[0]!);
    same(plain[0]!, cpu[0]!);
    expect(Number.isNaN(simd[0]![2]!)).toBe(true);
    expect(simd[0]![4]).toBe(-Infinity);
  });
});

describe('Conv2DBackpropFilter, filters > 1x1 with Ci % 4 = 0 and Co % 8 = 0 (the SIMD GEMM)', () => {
  const cases = [
    { ci: 8, co: 16, k: 3, s: 1, pad: 'same' as const },
    { ci: 4, co: 8, k: 3, s: 2, pad: 'same' as const },
    { ci: 12, co: 24, k: 5, s: 1, pad: 'valid' as const },
    { ci: 16, co: 8, k: 3, s: 2, pad: 'valid' as const },
    { ci: 32, co: 64, k: 3, s: 1, pad: 'same' as const },
  ];
  test.each(cases)('ci=$ci co=$co k=$k stride=$s pad=$pad', async ({ ci, co, k, s, pad }) => {
    const xShape: [number, number, number, number] = [3, 11, 9, ci];
    const probe = tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros([k, k, ci, co]) as tf.Tensor4D, s, pad);
    const dyShape = probe.shape;
    probe.dispose();
    const attrs = { strides: s, pad, dataFormat: 'NHWC', filterShape: [k, k, ci, co] };
    const { simd, plain, cpu } = await threeWays([data(xShape, 11), data(dyShape, 12)], (x, dy) => [
      tf.engine().runKernel('Conv2DBackpropFilter', { x: x!, dy: dy! }, attrs) as tf.Tensor,
    ]);
    expect(simd[0]).toHaveLength(k * k * ci * co);
    expect(relError(simd[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
    expect(relError(simd[0]!, plain[0]!)).toBeLessThan(TOLERANCE);
  });
});

describe('FusedBatchNorm with given statistics (inference)', () => {
  test.each([
    { c: 8, scale: true, offset: true, path: 'SIMD' },
    { c: 128, scale: true, offset: false, path: 'SIMD' },
    { c: 12, scale: false, offset: true, path: 'SIMD' },
    { c: 6, scale: true, offset: true, path: "wasm's kernel (not a multiple of 4)" },
  ])('$c channels, scale $scale, offset $offset: $path', async ({ c, scale, offset }) => {
    const inputs = [data([3, 5, 7, c], 13), data([c], 14), data([c], 15), data([c], 16), data([c], 17)];
    const fn = (x?: tf.Tensor, m?: tf.Tensor, v?: tf.Tensor, o?: tf.Tensor, s?: tf.Tensor): tf.Tensor[] => [
      tf.batchNorm4d(tf.mul(x!, 3) as tf.Tensor4D, m as tf.Tensor1D, tf.add(tf.abs(v!), 0.5) as tf.Tensor1D,
        offset ? (o as tf.Tensor1D) : undefined, scale ? (s as tf.Tensor1D) : undefined, 1e-3),
    ];
    const { simd, plain, cpu } = await threeWays(inputs, fn);
    expect(relError(simd[0]!, cpu[0]!)).toBeLessThan(1e-6);
    expect(relError(simd[0]!, plain[0]!)).toBeLessThan(1e-6);
  });
});
