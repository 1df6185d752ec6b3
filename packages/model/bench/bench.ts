// pnpm bench: training-step and inference time of the mini-Xception, batch 32, at 64x64 and
// 180x180, on WebGPU (when an adapter is there), on wasm (with @pawpipe/tf-backend's gradient
// kernels), on tfjs' cpu backend and in PyTorch 1.13 on the CPU (bench/xception_torch.py,
// Debian's python3-torch), wasm and PyTorch at the same numbers of threads (1, and every core),
// all in one run, printed with ratios.
// wasm's thread pool is fixed when a process first starts it, so each wasm and WebGPU
// measurement runs in a child process (this script with --child).
// Flags: --sizes 64,180  --threads 1,2  --steps N (timed webgpu/wasm/torch steps, default 3)
//        --no-cpu  --no-torch  --no-webgpu  --cpu-batch N  --python /usr/bin/python3
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, releaseWebGpu, tf } from '@pawpipe/tf-backend';
import type { BackendSelection } from '@pawpipe/tf-backend';
import { autoMicroBatch, makeModel, trainStep } from '../src';

interface Row { size: number; engine: string; trainS?: number; inferS?: number; note: string }

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const sizes = (flag('sizes') ?? '64,180').split(',').map(Number);
const steps = Number(flag('steps') ?? 3);
const python = flag('python') ?? '/usr/bin/python3';
const BATCH = 32;
const threadCounts = [...new Set((flag('threads') ?? `1,${Math.min(os.availableParallelism(), 8)}`).split(',').map(Number))];

function batch(n: number, s: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.randomUniform([n, s, s, 3], 0, 255, 'float32', 1) as tf.Tensor4D,
    y: tf.tensor2d(Array.from({ length: n }, (_, i) => i % 2), [n, 1]),
  }));
}

/**
 * Seconds per training step (one Adam update over the batch, as `--micro-batch auto` splits it on
 * this backend) and per inference pass, after one warm-up of each. Every step ends in an awaited
 * read of its loss, so GPU work is finished inside the timing.
 */
async function timeTf(size: number, n: number, timed: number, backend: BackendSelection): Promise<{ trainS: number; inferS: number; micro: number }> {
  // augmentation off: the same network PyTorch runs (augmentation is data-side work)
  const model = makeModel({ inputShape: [size, size, 3], numClasses: 2, augmentation: false });
  const optimizer = tf.train.adam(1e-3);
  const { x, y } = batch(n, size);
  const micro = autoMicroBatch(model, backend, n).microBatch;
  const infer = async (): Promise<void> => {
    for (let s = 0; s < n; s += micro) {
      const out = tf.tidy(() => model.predict(s === 0 && micro >= n ? x : x.slice(s, Math.min(micro, n - s))) as tf.Tensor);
      await out.data();
      out.dispose();
    }
  };
  await trainStep(model, optimizer, x, y, { microBatch: micro });
  let t = performance.now();
  for (let i = 0; i < timed; i++) await trainStep(model, optimizer, x, y, { microBatch: micro });
  const trainS = (performance.now() - t) / 1000 / timed;
  await infer();
  t = performance.now();
  for (let i = 0; i < timed; i++) await infer();
  const inferS = (performance.now() - t) / 1000 / timed;
  tf.dispose([x, y]);
  model.dispose();
  return { trainS, inferS, micro };
}

/** One wasm or WebGPU measurement in a fresh process (this script with --child). */
function timeChild(backend: 'wasm' | 'webgpu', size: number, threads: number, timed: number): Row {
  const engine = backend === 'wasm' ? `tfjs wasm (${threads} thr)` : 'tfjs webgpu';
  const res = spawnSync(process.execPath, [__filename, '--child', backend, '--sizes', String(size), '--threads', String(threads), '--steps', String(timed)], { encoding: 'utf8' });
  if (res.status !== 0) {
    return { size, engine, note: `not measured: ${res.stderr.trim().split('\n').at(-1) ?? `exit ${res.status}`}` };
  }
  const out = JSON.parse(res.stdout.trim().split('\n').at(-1) as string) as { trainS: number; inferS: number; micro: number; reason: string; warning?: string };
  const split = out.micro < BATCH ? `; ${BATCH / out.micro} micro-batches of ${out.micro}` : '';
  const what = backend === 'wasm' ? (out.reason.split(' with ')[0] ?? '') : out.reason.replace(/^WebGPU on /, '');
  return { size, engine, trainS: out.trainS, inferS: out.inferS, note: `${what}${split}${out.warning ? ' (fallback adapter: a CPU emulation)' : ''}` };
}

async function child(): Promise<void> {
  const backend = argv[argv.indexOf('--child') + 1] === 'webgpu' ? 'webgpu' : 'wasm';
  const sel = await initBackend(backend, { threads: threadCounts[0] });
  const w = await timeTf(sizes[0] as number, BATCH, steps, sel);
  console.log(JSON.stringify({ ...w, reason: sel.reason, warning: sel.warning }));
  await releaseWebGpu();
}

function timeTorch(size: number, threads: number, timed: number): Row {
  const script = path.join(__dirname, '..', '..', '..', 'bench', 'xception_torch.py');
  const res = spawnSync(python, [script, '--size', String(size), '--batch', String(BATCH), '--threads', String(threads), '--steps', String(timed)], { encoding: 'utf8' });
  if (res.error != null || res.status !== 0) {
    const why = res.error?.message ?? (res.stderr.trim().split('\n').at(-1) || `exit ${res.status}`);
    return { size, engine: `pytorch (${threads} thr)`, note: `not measured: ${why} (apt-get install python3-torch)` };
  }
  const out = JSON.parse(res.stdout.trim().split('\n').at(-1) as string) as { train_s: number; infer_s: number; torch: string; params: number };
  return { size, engine: `pytorch (${threads} thr)`, trainS: out.train_s, inferS: out.infer_s, note: `torch ${out.torch}, ${out.params.toLocaleString('en-US')} params` };
}

const fmt = (s?: number): string => (s === undefined ? '-' : s.toFixed(3));
const ratio = (a?: number, b?: number): string => (a === undefined || b === undefined ? '-' : (a / b).toFixed(2));

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const size of sizes) {
    if (!argv.includes('--no-webgpu')) rows.push(timeChild('webgpu', size, 1, steps));
    for (const t of threadCounts) {
      rows.push(timeChild('wasm', size, t, steps));
      if (!argv.includes('--no-torch')) rows.push(timeTorch(size, t, steps));
    }
    if (!argv.includes('--no-cpu')) {
      await initBackend('cpu');
      // The pure-JS backend takes minutes per step even at 64x64 on this machine: one step of a
      // small batch (--cpu-batch, default 4 at 64x64 and 1 at 180x180), scaled linearly to 32
      // (every layer's cost is linear in the batch), no warm-up step.
      const n = Number(flag('cpu-batch') ?? (size >= 128 ? 1 : 4));
      const model = makeModel({ inputShape: [size, size, 3], numClasses: 2, augmentation: false });
      const { x, y } = batch(n, size);
      let t = performance.now();
      await trainStep(model, tf.train.adam(1e-3), x, y);
      const trainS = ((performance.now() - t) / 1000) * (BATCH / n);
      t = performance.now();
      tf.tidy(() => { (model.predict(x) as tf.Tensor).dataSync(); }); // cpu: a synchronous read is fine
      const inferS = ((performance.now() - t) / 1000) * (BATCH / n);
      tf.dispose([x, y]);
      model.dispose();
      rows.push({ size, engine: 'tfjs cpu', trainS, inferS, note: n === BATCH ? '1 step, no warm-up' : `1 step of batch ${n}, times ${BATCH / n}; no warm-up` });
    }
  }

  console.log(`mini-Xception, batch ${BATCH}, train step = forward + backward + Adam update; seconds`);
  console.log(['size', 'engine'.padEnd(20), 'train s', 'infer s', 'train/torch', 'infer/torch', 'train/wasm1', 'note'].join('  '));
  const maxThreads = Math.max(...threadCounts);
  for (const r of rows) {
    // the same number of threads (the cpu backend is single-threaded JS: against PyTorch on 1;
    // WebGPU against PyTorch on every core)
    const threads = r.engine === 'tfjs webgpu' ? String(maxThreads) : /\((\d+) thr\)/.exec(r.engine)?.[1] ?? '1';
    const torch = rows.find((o) => o.size === r.size && o.engine === `pytorch (${threads} thr)`);
    const wasm1 = rows.find((o) => o.size === r.size && o.engine === 'tfjs wasm (1 thr)');
    console.log([`${r.size}x${r.size}`.padEnd(7), r.engine.padEnd(20), fmt(r.trainS).padStart(7), fmt(r.inferS).padStart(7),
      ratio(r.trainS, torch?.trainS).padStart(11), ratio(r.inferS, torch?.inferS).padStart(11), ratio(r.trainS, wasm1?.trainS).padStart(11), r.note].join('  '));
  }
  console.log(`ratios: against PyTorch on the same number of threads (tfjs cpu: 1; webgpu: ${maxThreads}) and against wasm on 1 thread; > 1 is slower.`);
  console.log('Goals: wasm train/torch < 1 at 180x180 and <= 1.5 at 64x64 (issue 4); webgpu <= 0.137 s per step at 180x180 on a real GPU (issue 9, Keras on a GTX 1650).');
}

(argv.includes('--child') ? child() : main()).catch((err: unknown) => {
  // a child's last stderr line becomes the row's note: its one-line reason, not a stack frame
  if (argv.includes('--child')) console.error(err instanceof Error ? err.message.split('\n')[0] : err);
  else console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
