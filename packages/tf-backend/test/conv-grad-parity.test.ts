// Gradient parity of the wasm kernels against tfjs' cpu backend (the reference implementation),
// through tf.grads exactly as training uses them, over the combinations the layers allow.
import { initBackend, tf } from '../src';
import { convCases as cases, data, maxPoolGrad, nanPoolInput, onBackend, pads, relError, strides, tiedPoolInput, type Data, type Pad } from './parity-helpers';

// float32 sums of at most 5*5*4*3*9*9 products of values in [-1, 1]: the two backends sum in
// different orders, so differences of a few ulps of the largest partial sums are expected.
const TOLERANCE = 2e-5;

beforeAll(async () => {
  await initBackend('wasm');
});

async function compare(inputs: Data[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number[]> {
  const cpu = await onBackend('cpu', inputs, fn);
  const wasm = await onBackend('wasm', inputs, fn);
  return cpu.map((c, i) => relError(wasm[i] as Float32Array, c));
}

describe('conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput) match cpu', () => {
  test.each(cases)('k=$k stride=$s pad=$pad batch=$batch', async ({ k, s, pad, batch, h, w }) => {
    const ci = 3;
    const co = 4;
    const x = data([batch, h, w, ci], 1 + k * 10 + s);
    const f = data([k, k, ci, co], 2 + k);
    const errs = await compare([x, f], (xt, ft) => {
      // a non-uniform upstream gradient, so every output position weighs differently
      const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).square().sum();
      return tf.grads(loss)([xt as tf.Tensor, ft as tf.Tensor]);
    });
    expect(errs[0]).toBeLessThan(TOLERANCE); // dx
    expect(errs[1]).toBeLessThan(TOLERANCE); // dfilter
  });
});

describe('depthwise conv gradients (DepthwiseConv2dNativeBackpropInput/Filter) match cpu', () => {
  const dwCases = cases.flatMap((c) => [1, 2].map((m) => ({ ...c, m })));
  test.each(dwCases)('k=$k stride=$s pad=$pad multiplier=$m batch=$batch', async ({ k, s, pad, m, batch, h, w }) => {
    const c = 3;
    const x = data([batch, h, w, c], 5 + k + s);
    const f = data([k, k, c, m], 6 + k * m);
    const errs = await compare([x, f], (xt, ft) => {
      const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
        tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).square().sum();
      return tf.grads(loss)([xt as tf.Tensor, ft as tf.Tensor]);
    });
    expect(errs[0]).toBeLessThan(TOLERANCE);
    expect(errs[1]).toBeLessThan(TOLERANCE);
  });

  // tfjs' gradient functions refuse dilation > 1 (DepthwiseConv2dNative_grad), but the kernels
  // take a dilations attribute, so they are called directly. The cpu backend's
  // DepthwiseConv2dNativeBackpropFilter ignores dilation (its loop uses the tap index, not
  // tap * dilation), so the reference is the undilated gradient with the filter spread out:
  // a dilation-2 3x3 filter is a 5x5 filter with zeros between the taps.
  test.each([
    { pad: 'same' as Pad, m: 1 }, { pad: 'valid' as Pad, m: 1 }, { pad: 'same' as Pad, m: 2 }, { pad: 'valid' as Pad, m: 2 },
  ])('dilation 2, k=3, pad=$pad multiplier=$m (kernels called directly)', async ({ pad, m }) => {
    const xShape: [number, number, number, number] = [2, 11, 9, 3];
    const x = data(xShape, 41);
    const probe = tf.depthwiseConv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros([3, 3, 3, m]) as tf.Tensor4D, 1, pad, 'NHWC', 2);
    const dy = data(probe.shape, 42);
    probe.dispose();
    const f = data([3, 3, 3, m], 43);
    const attrs = { strides: [1, 1], pad, dilations: [2, 2] };
    const [wasmDf, wasmDx] = await onBackend('wasm', [x, dy, f], (xt, dyt, ft) => [
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xt!, dy: dyt! }, { ...attrs, filterShape: [3, 3, 3, m] }) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyt!, filter: ft! }, { ...attrs, inputShape: xShape }) as tf.Tensor,
    ]);
    const [refDf, refDx] = await onBackend('cpu', [x, dy, f], (xt, dyt, ft) => {
      const mask = tf.buffer([5, 5, 3, m]);
      const fv = ft!.arraySync() as number[][][][];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 3; c++) for (let q = 0; q < m; q++) {
        mask.set(fv[i]![j]![c]![q]!, 2 * i, 2 * j, c, q);
      }
      const fE = mask.toTensor();
      const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
        tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad).mul(dyt!).sum();
      const [dx, dfE] = tf.grads(loss)([xt!, fE]) as [tf.Tensor, tf.Tensor];
      const df = tf.stridedSlice(dfE, [0, 0, 0, 0], [5, 5, 3, m], [2, 2, 1, 1]);
      return [df, dx];
    });
    expect(relError(wasmDf!, refDf!)).toBeLessThan(TOLERANCE);
    expect(relError(wasmDx!, refDx!)).toBeLessThan(TOLERANCE);
  });
});

describe('MaxPoolGrad (replaced: one argmax per window) matches cpu', () => {
  // Values on a coarse grid (multiples of 1/4 in [-1, 1)) so windows hold ties: the first
  // maximum in row-major window order must take the gradient, as in the cpu backend and TF.
  const poolCases = [2, 3].flatMap((k) => strides.flatMap((s) => pads.map((pad) => ({
    k, s, pad, batch: (k + s) % 2 === 0 ? 1 : 3,
  }))));
  test.each(poolCases)('k=$k stride=$s pad=$pad batch=$batch (with ties)', async ({ k, s, pad, batch }) => {
    const errs = await compare([tiedPoolInput(batch, 81 + k + s)], (xt) => maxPoolGrad(k, s, pad)(xt as tf.Tensor));
    expect(errs[0]).toBeLessThan(1e-6);
  });

  test('NaN and -Infinity never take the gradient; a window of only those passes none', async () => {
    const errs = await compare([nanPoolInput()], (xt) => maxPoolGrad(3, 2, 'same')(xt as tf.Tensor));
    expect(errs[0]).toBe(0);
  });
});

describe('the replaced Sum/Mean and the BatchNorm gradient', () => {
  test.each([[[1, 2]], [[0, 1, 2]], [[0]], [[3]]])('sum and mean over axes %j match cpu', async (axes) => {
    const x = data([3, 5, 7, 4], 51);
    const errs = await compare([x], (xt) => [tf.sum(xt as tf.Tensor, axes), tf.mean(xt as tf.Tensor, axes, true)]);
    expect(errs[0]).toBeLessThan(1e-6);
    expect(errs[1]).toBeLessThan(1e-6);
  });

  test('FusedBatchNorm gradient equals the gradient of the explicit formula', async () => {
    const inputs = [data([3, 5, 5, 4], 61), data([4], 62), data([4], 63), data([4], 64), data([4], 65)];
    inputs[2]!.values.forEach((v, i, a) => { a[i] = Math.abs(v) + 0.5; }); // variance > 0
    const fused = await onBackend('wasm', inputs, (x, mean, variance, offset, scale) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
        tf.batchNorm(a, b, c, d, e, 1e-3).square().sum())([x!, mean!, variance!, offset!, scale!]));
    const explicit = await onBackend('cpu', inputs, (x, mean, variance, offset, scale) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
        a.sub(b).mul(tf.rsqrt(c.add(1e-3))).mul(e).add(d).square().sum())([x!, mean!, variance!, offset!, scale!]));
    explicit.forEach((e, i) => expect(relError(fused[i] as Float32Array, e)).toBeLessThan(1e-5));
  });
});

describe('memory', () => {
  test('the kernels free every intermediate (backend data ids and engine tensors)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(data([2, 9, 7, 3], 71).values, [2, 9, 7, 3]) as tf.Tensor4D;
    const f = tf.tensor(data([3, 3, 3, 4], 72).values, [3, 3, 3, 4]) as tf.Tensor4D;
    const df = tf.tensor(data([3, 3, 4, 2], 73).values, [3, 3, 4, 2]) as tf.Tensor4D;
    const step = (): void => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.depthwiseConv2d(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'same').sum([0, 1, 2]).sum())([x, f, df]);
      tf.dispose(g);
    };
    step();
    const backend = tf.engine().backend as unknown as { numDataIds(): number };
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([x, f, df]);
  });
});
