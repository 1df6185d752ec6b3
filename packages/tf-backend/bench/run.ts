// `pnpm bench`: the in-place WebAssembly SIMD kernels (src/wasm-simd) against what they
// replace, measured in the same process: MaxPoolGrad against the JS loop over the heap, the
// transposes against tfjs-backend-wasm's own Transpose, and whole Conv2DBackpropFilter calls
// with the kernels on and off. Shapes are those of the mini-Xception at batch 32 (64x64 input
// unless named). Median of the timed runs after warm-up runs, milliseconds.
import { initBackend, tf } from '../src';
import { heapKernelStatus, setHeapKernelsEnabled, type HeapBackend } from '../src/wasm-simd/heap-kernels';
import { heapTranspose } from '../src/wasm-simd/transpose';

const RUNS = Number(process.env.PAWPIPE_BENCH_RUNS ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** Times fn (which returns a TensorInfo to free) RUNS times after 3 warm-ups; prepare runs untimed before each. */
function time(backend: { disposeData(id: unknown): void }, fn: () => tf.TensorInfo, prepare?: () => void): number {
  const ts: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    prepare?.();
    const t0 = performance.now();
    const out = fn();
    const t = performance.now() - t0;
    backend.disposeData(out.dataId);
    if (i >= 3) ts.push(t);
  }
  return median(ts);
}

function row(name: string, oldMs: number, newMs: number): string {
  return `${name.padEnd(72)} ${oldMs.toFixed(2).padStart(8)} ${newMs.toFixed(2).padStart(8)} ${(oldMs / newMs).toFixed(2).padStart(7)}x`;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const backend = tf.backend() as unknown as HeapBackend & { disposeData(id: unknown): void };
  console.log(`heap kernels: ${heapKernelStatus(backend)}; ${RUNS} runs each, median ms`);
  console.log(`${'kernel'.padEnd(72)} ${'old'.padStart(8)} ${'new'.padStart(8)} ${'old/new'.padStart(8)}`);
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => () =>
    tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as unknown as tf.TensorInfo;
  const both = (fn: () => tf.TensorInfo, prepare?: () => void): [number, number] => {
    setHeapKernelsEnabled(false);
    const oldMs = time(backend, fn, prepare);
    setHeapKernelsEnabled(true);
    return [oldMs, time(backend, fn, prepare)];
  };

  {
    const x = tf.randomUniform([32, 32, 32, 128]);
    const y = tf.maxPool(x as tf.Tensor4D, 3, 2, 'same');
    const dy = tf.randomUniform(y.shape);
    const [o, n] = both(run('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 3, strides: 2, pad: 'same' }));
    console.log(row('MaxPoolGrad [32,32,32,128] 3x3/2 same (JS loop vs SIMD)', o, n));
    tf.dispose([x, y, dy]);
  }

  const transposeKernel = tf.getKernel('Transpose', 'wasm')!;
  for (const [shape, perm] of [
    [[4, 90, 90, 128], [3, 0, 1, 2]], [[32, 32, 32, 64], [3, 0, 1, 2]],
    [[32, 34, 34, 64], [3, 1, 2, 0]], [[32, 32, 32, 64], [1, 2, 0, 3]],
  ] as Array<[number[], number[]]>) {
    const x = tf.randomUniform(shape);
    const o = time(backend, () => transposeKernel.kernelFunc({ inputs: { x }, attrs: { perm }, backend: backend as never }) as tf.TensorInfo);
    const n = time(backend, () => heapTranspose(backend as never, x, perm)!);
    console.log(row(`Transpose [${shape}] perm [${perm}] (wasm's vs SIMD)`, o, n));
    x.dispose();
  }

  for (const { x: xs, k, s, co } of [
    { x: [32, 32, 32, 128], k: 1, s: 1, co: 128 }, { x: [32, 32, 32, 64], k: 1, s: 2, co: 128 },
    { x: [32, 32, 32, 32], k: 3, s: 1, co: 64 }, { x: [4, 90, 90, 32], k: 3, s: 1, co: 64 },
  ]) {
    const x = tf.randomUniform(xs);
    const oh = Math.ceil((xs[1] as number) / s);
    const ow = Math.ceil((xs[2] as number) / s);
    // a new dY for every call, as in training: XNNPACK caches the operator it builds around dY
    let dy = tf.randomUniform([xs[0] as number, oh, ow, co]);
    const fresh = (): void => { dy.dispose(); dy = tf.randomUniform([xs[0] as number, oh, ow, co]); };
    const [o, n] = both(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
      { strides: [s, s], pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, xs[3] as number, co] }) as unknown as tf.TensorInfo, fresh);
    console.log(row(`Conv2DBackpropFilter x [${xs}] ${k}x${k}/${s} -> ${co} (kernels off vs on)`, o, n));
    tf.dispose([x, dy]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
