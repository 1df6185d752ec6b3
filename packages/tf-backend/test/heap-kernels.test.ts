// The WebAssembly SIMD kernels that run in place on the wasm heap (src/wasm-simd): the
// committed bytes match the .wat, they load against tfjs-backend-wasm's memory, and every
// kernel gives exactly the bits of the path it replaces (compared as uint32, so -0 and NaN
// payloads count too).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, tf } from '../src';
import { HEAP_KERNELS_SHARED_WASM_BASE64, HEAP_KERNELS_WASM_BASE64 } from '../src/wasm-simd/heap-kernels-wasm';
import { heapKernelStatus, setHeapKernelsEnabled, type HeapBackend } from '../src/wasm-simd/heap-kernels';
import { heapStridedChannelMajor, heapTranspose, reducePerm } from '../src/wasm-simd/transpose';
import { relError, seededArray } from './parity-helpers';

// The generator is a plain Node script (it also runs as `pnpm gen:wasm`).
const { compileKernels } = require('../scripts/gen-wasm-kernels.js') as { compileKernels: () => Promise<Record<string, string>> };

beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(() => setHeapKernelsEnabled(true));

/** Runs fn with the SIMD kernels on and then off; returns both results' raw bits. */
function bothPaths(fn: () => tf.Tensor): [Uint32Array, Uint32Array] {
  const run = (on: boolean): Uint32Array => {
    setHeapKernelsEnabled(on);
    const t = fn();
    const bits = new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
    t.dispose();
    return bits;
  };
  const out: [Uint32Array, Uint32Array] = [run(true), run(false)];
  setHeapKernelsEnabled(true);
  return out;
}

/** Values on a grid of `levels` steps so pooling windows hold many ties. */
function coarse(shape: number[], seed: number, levels: number): tf.Tensor {
  const v = seededArray(shape.reduce((a, b) => a * b, 1), seed).map((x) => Math.floor((x + 1) * levels / 2));
  return tf.tensor(v, shape);
}

describe('the heap kernels module', () => {
  it('is src/wasm-simd/heap-kernels.wat compiled (run `pnpm gen:wasm` after editing it)', async () => {
    expect(await compileKernels()).toEqual({ HEAP_KERNELS_WASM_BASE64, HEAP_KERNELS_SHARED_WASM_BASE64 });
  });

  it("loads on Node 20 against the single-threaded backend's own memory", () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(heapKernelStatus(tf.backend() as unknown as HeapBackend)).toBe('wasm-simd');
  });

  it('reports the JS path while disabled', () => {
    setHeapKernelsEnabled(false);
    expect(heapKernelStatus(tf.backend() as unknown as HeapBackend)).toMatch(/^js \(/);
  });
});

describe('SIMD MaxPoolGrad gives the bits of the JS loop', () => {
  // the window/stride/padding combinations of conv-grad-parity.test.ts, channel counts that
  // exercise the 4-wide body and the scalar tail, and 3 levels of values (ties everywhere)
  const cases = [2, 3].flatMap((k) => [1, 2].flatMap((s) => (['same', 'valid'] as const).flatMap((pad) =>
    [1, 5, 8, 13].map((c) => ({ k, s, pad, c })))));
  test.each(cases)('k=$k stride=$s pad=$pad channels=$c', ({ k, s, pad, c }) => {
    const x = coarse([2, 9, 7, c], 100 + k * 7 + s * 3 + c, 3);
    const y = tf.maxPool(x as tf.Tensor4D, k, s, pad);
    const dy = tf.tensor(seededArray(y.size, 5 + c), y.shape);
    const [simd, js] = bothPaths(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y },
      { filterSize: k, strides: s, pad }) as tf.Tensor);
    expect(simd).toEqual(js);
    // and the gradient is not trivially zero
    expect(simd.some((b) => b !== 0)).toBe(true);
    tf.dispose([x, y, dy]);
  });

  test('NaN, -Infinity, -0 and all-tie windows; a larger 128-channel pooling as in the model', () => {
    const x = coarse([3, 16, 16, 128], 7, 2);
    const v = x.dataSync() as Float32Array;
    const special = Float32Array.from(v, (a, i) => (i % 11 === 0 ? Number.NaN : i % 13 === 0 ? -Infinity : i % 17 === 0 ? -0 : a));
    x.dispose();
    const xs = tf.tensor(special, [3, 16, 16, 128]);
    const dy = tf.tensor(seededArray(3 * 8 * 8 * 128, 9), [3, 8, 8, 128]);
    const [simd, js] = bothPaths(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: xs, output: xs },
      { filterSize: 3, strides: 2, pad: 'same' }) as tf.Tensor);
    expect(simd).toEqual(js);
    tf.dispose([xs, dy]);
  });
});

describe('SIMD transpose gives the bits of wasm\'s Transpose', () => {
  const permutations = (n: number): number[][] => (n === 0 ? [[]] : permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));

  test('reducePerm drops size-1 axes and merges axes that move together', () => {
    expect(reducePerm([4, 90, 90, 128], [3, 0, 1, 2])).toEqual({ shape: [32400, 128], perm: [1, 0] });
    expect(reducePerm([32, 9, 9, 64], [3, 1, 2, 0])).toEqual({ shape: [32, 81, 64], perm: [2, 1, 0] });
    expect(reducePerm([32, 8, 8, 64], [1, 2, 0, 3])).toEqual({ shape: [32, 64, 64], perm: [1, 0, 2] });
    expect(reducePerm([1, 5, 1, 7], [3, 0, 1, 2])).toEqual({ shape: [5, 7], perm: [1, 0] });
    expect(reducePerm([2, 3, 4, 5], [0, 1, 2, 3])).toEqual({ shape: [120], perm: [0] });
    expect(reducePerm([2, 3, 4, 5], [1, 3, 0, 2])).toEqual({ shape: [2, 3, 4, 5], perm: [1, 3, 0, 2] });
  });

  // every rank-4 perm of odd sizes (edges of the 4x4 blocks, the fallback for the rest), the
  // filter gradient's own perms at batch 1, 3 and 32, and special values that must survive as bits
  const shapes: number[][] = [[3, 5, 7, 9], [4, 8, 4, 16], [1, 6, 1, 5]];
  const cases = [
    ...shapes.flatMap((shape) => permutations(4).map((perm) => ({ shape, perm }))),
    ...[1, 3, 32].flatMap((n) => [
      { shape: [n, 11, 11, 64], perm: [3, 0, 1, 2] }, { shape: [n, 11, 11, 64], perm: [3, 1, 2, 0] },
      { shape: [n, 9, 9, 24], perm: [1, 2, 0, 3] }, { shape: [64, 3, 3, 33], perm: [1, 2, 0, 3] },
    ]),
  ];
  test.each(cases)('$shape perm $perm', ({ shape, perm }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = seededArray(size, shape[0]! * 31 + perm[0]!);
    values[0] = Number.NaN; values[size - 1] = -0; values[size >> 1] = -Infinity;
    const x = tf.tensor(values, shape);
    const backend = tf.backend() as never;
    const kernel = tf.getKernel('Transpose', 'wasm')!;
    const run = (useSimd: boolean): Uint32Array => {
      const info = useSimd ? heapTranspose(backend, x, perm) : null;
      const out = info ?? (kernel.kernelFunc({ inputs: { x }, attrs: { perm }, backend }) as tf.TensorInfo);
      const t = tf.engine().makeTensorFromTensorInfo(out);
      const bits = new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
      t.dispose();
      return bits;
    };
    expect(run(true)).toEqual(run(false));
    x.dispose();
  });

  test('the perms of Conv2DBackpropFilter all take the SIMD path', () => {
    const x = tf.zeros([3, 5, 7, 9]);
    for (const perm of [[3, 0, 1, 2], [3, 1, 2, 0], [1, 2, 0, 3]]) {
      const out = heapTranspose(tf.backend() as never, x, perm);
      expect(out?.shape).toEqual(perm.map((a) => x.shape[a]));
      tf.engine().makeTensorFromTensorInfo(out!).dispose();
    }
    x.dispose();
  });
});

describe('strided channel-major gather (the strided 1x1 filter gradient taps)', () => {
  test.each([
    { shape: [3, 9, 7, 5], r0: 0, c0: 0, oh: 5, ow: 4, s: 2 },
    { shape: [2, 16, 16, 64], r0: 1, c0: 1, oh: 8, ow: 8, s: 2 },
    { shape: [4, 11, 13, 12], r0: 2, c0: 1, oh: 3, ow: 4, s: 3 },
  ])('$shape from ($r0,$c0) stride $s', ({ shape, r0, c0, oh, ow, s }) => {
    const x = tf.tensor(seededArray(shape.reduce((a, b) => a * b, 1), 77), shape);
    const got = tf.engine().makeTensorFromTensorInfo(heapStridedChannelMajor(tf.backend() as never, x, r0, c0, oh, ow, s, s)!);
    const want = tf.transpose(tf.stridedSlice(x, [0, r0, c0, 0], [shape[0]!, r0 + (oh - 1) * s + 1, c0 + (ow - 1) * s + 1, shape[3]!], [1, s, s, 1]), [3, 0, 1, 2]);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, got, want]);
  });

  test('refuses a grid that leaves the tensor', () => {
    const x = tf.zeros([1, 5, 5, 4]);
    expect(heapStridedChannelMajor(tf.backend() as never, x, 1, 0, 3, 3, 2, 2)).toBeNull();
    x.dispose();
  });
});

describe('Conv2DBackpropFilter gives the same bits with the SIMD kernels on and off', () => {
  test.each([
    { k: 1, s: 1, pad: 'same' }, { k: 1, s: 2, pad: 'same' }, { k: 1, s: 2, pad: 'valid' },
    { k: 3, s: 1, pad: 'same' }, { k: 3, s: 2, pad: 'valid' },
  ] as const)('k=$k stride=$s pad=$pad', ({ k, s, pad }) => {
    const x = tf.tensor(seededArray(3 * 9 * 11 * 6, 8), [3, 9, 11, 6]);
    const probe = tf.conv2d(x as tf.Tensor4D, tf.zeros([k, k, 6, 8]) as tf.Tensor4D, s, pad);
    const dy = tf.tensor(seededArray(probe.size, 9), probe.shape);
    const [simd, fallback] = bothPaths(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
      { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, 6, 8] }) as tf.Tensor);
    expect(simd).toEqual(fallback);
    tf.dispose([x, probe, dy]);
  });
});

describe('1x1 Conv2DBackpropFilter through the SIMD GEMM (Ci <= 256) matches the XNNPACK product', () => {
  test.each([
    { s: 1, pad: 'same', ci: 8, co: 16 }, { s: 2, pad: 'same', ci: 8, co: 16 }, { s: 2, pad: 'valid', ci: 12, co: 8 },
    { s: 1, pad: 'valid', ci: 256, co: 8 },
  ] as const)('stride=$s pad=$pad ci=$ci co=$co', ({ s, pad, ci, co }) => {
    const x = tf.tensor(seededArray(3 * 9 * 11 * ci, 10 + ci), [3, 9, 11, ci]);
    const probe = tf.conv2d(x as tf.Tensor4D, tf.zeros([1, 1, ci, co]) as tf.Tensor4D, s, pad);
    const dy = tf.tensor(seededArray(probe.size, 11), probe.shape);
    const run = (on: boolean): Float32Array => {
      setHeapKernelsEnabled(on); // off: the padded, channel-major XNNPACK route
      const t = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
        { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [1, 1, ci, co] }) as tf.Tensor;
      const v = (t.dataSync() as Float32Array).slice();
      t.dispose();
      setHeapKernelsEnabled(true);
      return v;
    };
    const simd = run(true);
    const xnn = run(false);
    // both sum the same 3*OH*OW products per entry in float32, in different orders
    expect(relError(simd, xnn)).toBeLessThan(2e-6);
    expect(simd.some((v) => v !== 0)).toBe(true);
    tf.dispose([x, probe, dy]);
  });
});

describe('after the wasm heap grows', () => {
  test('the kernels see the grown memory (same Memory object) and still match the fallbacks', () => {
    const backend = tf.backend() as unknown as { wasm: { asm: { memory: { buffer: ArrayBuffer } } } };
    const before = backend.wasm.asm.memory.buffer.byteLength;
    // a tensor larger than the whole heap forces a grow; kernels run on tensors made after it
    const big = tf.zeros([before / 4 + 1024]);
    expect(backend.wasm.asm.memory.buffer.byteLength).toBeGreaterThan(before);
    const x = coarse([2, 12, 10, 8], 3, 3);
    const y = tf.maxPool(x as tf.Tensor4D, 3, 2, 'same');
    const dy = tf.tensor(seededArray(y.size, 4), y.shape);
    const [simd, js] = bothPaths(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y },
      { filterSize: 3, strides: 2, pad: 'same' }) as tf.Tensor);
    expect(simd).toEqual(js);
    const t = tf.engine().makeTensorFromTensorInfo(heapTranspose(tf.backend() as never, x, [3, 0, 1, 2])!);
    expect(Array.from(t.dataSync())).toEqual(Array.from(tf.transpose(x, [3, 0, 1, 2]).dataSync()));
    tf.dispose([big, x, y, dy, t]);
  });
});

describe('with the threaded build (shared memory)', () => {
  test('the shared-memory variant loads and matches the fallbacks (child process on dist/)', () => {
    const dist = path.join(__dirname, '..', 'dist', 'wasm-simd', 'heap-kernels.js');
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` in packages/tf-backend first`);
    const out = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'threaded-heap-kernels.js')], {
      encoding: 'utf8', timeout: 60_000,
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({
      shared: true, status: 'wasm-simd (shared memory)', poolSame: true, poolNonZero: true, transposeSame: true,
    });
  });
});
