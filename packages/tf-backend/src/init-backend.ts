// Chooses and starts the one TensorFlow.js backend of the process. Order for 'auto' (issue 4):
// tfjs-node-gpu when it loads and sees a GPU, else tfjs-node, else wasm (with the gradient
// kernels of ./wasm-grad), else the pure-JS cpu backend. Every choice reports why it won and
// why each other candidate was passed over.
import * as path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { BackendError } from './errors';
import { registerWasmGradientKernels } from './wasm-grad/register';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type NativePackage = 'tfjs-node-gpu' | 'tfjs-node';

export interface InitBackendOptions {
  /** Ask for wasm's multi-threaded SIMD build. Not usable under Node with tfjs 4.22 (see README). */
  threads?: boolean;
  /** Receives one line per decision. */
  log?: (line: string) => void;
  /** Loads a native package (default: require('@tensorflow/<name>')); injectable for tests. */
  loadNative?: (name: NativePackage) => unknown;
}

export interface BackendSelection {
  /** tfjs backend name now active: 'tensorflow' | 'wasm' | 'cpu' */
  name: string;
  /** Which package provides it and why it was chosen. */
  reason: string;
  passedOver: Array<{ name: string; why: string }>;
}

const CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/**
 * The multi-threaded wasm build cannot start under Node: tfjs-backend-wasm 4.22 creates its
 * pthread workers from blob: URLs (backend_wasm.ts locateFile), and worker_threads rejects those
 * with ERR_WORKER_PATH, thrown asynchronously so it cannot even be caught and fallen back from.
 */
export const WASM_THREADS_UNAVAILABLE =
  'wasm threaded SIMD is not usable under Node: tfjs-backend-wasm 4.22 starts its pthread workers ' +
  'from blob: URLs, which worker_threads rejects (ERR_WORKER_PATH); running single-threaded SIMD';

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

/** The usual failure here is an addon that was never built: say that, not its long store path. */
function nativeLoadReason(err: unknown): string {
  const line = firstLine(err);
  return /tfjs_binding\.node.*can ?not be found/i.test(line)
    ? 'its native addon (tfjs_binding.node) was never built; see packages/tf-backend/README.md to enable it'
    : line;
}

const nativeFailures = new Map<NativePackage, unknown>();

function defaultLoadNative(name: NativePackage): unknown {
  // Optional dependencies: their install downloads libtensorflow, so on most machines the
  // package is present but its native addon is missing and require() throws, after it has
  // registered its kernels (tfjs then warns "already registered" on every later attempt).
  // So each package is tried once per process, and the warnings of a failed try are dropped.
  const failed = nativeFailures.get(name);
  if (failed !== undefined) throw failed;
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { warnings.push(args); };
  try {
    const mod: unknown = require(`@tensorflow/${name}`);
    console.warn = warn;
    for (const w of warnings) warn(...w);
    return mod;
  } catch (err) {
    nativeFailures.set(name, err);
    throw err;
  } finally {
    console.warn = warn;
  }
}

/** The directory holding the .wasm binaries, with the trailing slash setWasmPaths needs. */
export function wasmBinaryDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep;
}

async function activate(name: string): Promise<string | undefined> {
  try {
    // setBackend returns false (it does not throw) when the backend fails to initialise.
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    return undefined;
  } catch (err) {
    return firstLine(err);
  }
}

function gpuVisible(): boolean {
  // tfjs-node's NodeJSKernelBackend exposes its binding; isUsingGpuDevice() is true when
  // libtensorflow registered a GPU device.
  const backend = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
  return backend.binding?.isUsingGpuDevice?.() === true;
}

async function tryTensorflow(
  opts: InitBackendOptions, passedOver: BackendSelection['passedOver'],
): Promise<BackendSelection | undefined> {
  const load = opts.loadNative ?? defaultLoadNative;
  let gpuWithoutDevice = false;
  for (const pkg of ['tfjs-node-gpu', 'tfjs-node'] as const) {
    if (pkg === 'tfjs-node' && gpuWithoutDevice) break;
    try {
      load(pkg);
    } catch (err) {
      passedOver.push({ name: pkg, why: `could not be loaded: ${nativeLoadReason(err)}` });
      continue;
    }
    const failure = await activate('tensorflow');
    if (failure != null) {
      passedOver.push({ name: pkg, why: `loaded but its backend did not start: ${failure}` });
      continue;
    }
    if (pkg === 'tfjs-node-gpu' && !gpuVisible()) {
      // Both packages register the same 'tensorflow' backend, so loading tfjs-node next to
      // tfjs-node-gpu would clash; libtensorflow's CPU path is still far faster than wasm.
      gpuWithoutDevice = true;
      passedOver.push({ name: 'tfjs-node', why: 'not loaded: tfjs-node-gpu already provides the tensorflow backend' });
      return { name: 'tensorflow', reason: 'tfjs-node-gpu loaded but sees no GPU: libtensorflow runs on the CPU', passedOver };
    }
    return {
      name: 'tensorflow',
      reason: pkg === 'tfjs-node-gpu' ? 'tfjs-node-gpu loaded and sees a GPU' : 'tfjs-node loaded (libtensorflow on the CPU)',
      passedOver,
    };
  }
  return undefined;
}

async function tryWasm(
  opts: InitBackendOptions, passedOver: BackendSelection['passedOver'],
): Promise<BackendSelection | undefined> {
  if (opts.threads === true) passedOver.push({ name: 'wasm-threaded-simd', why: WASM_THREADS_UNAVAILABLE });
  setWasmPaths(wasmBinaryDir());
  const added = registerWasmGradientKernels();
  const failure = await activate('wasm');
  if (failure != null) {
    passedOver.push({ name: 'wasm', why: `did not start: ${failure}` });
    return undefined;
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const kernels = added.length > 0 ? `; registered ${added.join(', ')}` : '';
  return { name: 'wasm', reason: `tfjs-backend-wasm (${simd ? 'SIMD' : 'no SIMD'}, 1 thread) with pawpipe's gradient kernels${kernels}`, passedOver };
}

/**
 * Starts the backend asked for and returns what was chosen and why. 'tensorflow' where neither
 * native package loads is a BackendError with code 'tensorflow-unavailable'.
 */
export async function initBackend(choice: BackendChoice = 'auto', opts: InitBackendOptions = {}): Promise<BackendSelection> {
  if (!CHOICES.includes(choice)) {
    throw new BackendError('unknown-backend', `unknown backend '${String(choice)}': use one of ${CHOICES.join(', ')}`);
  }
  const passedOver: BackendSelection['passedOver'] = [];
  const log = opts.log ?? (() => undefined);
  const done = (sel: BackendSelection): BackendSelection => {
    log(`backend: ${sel.name} (${sel.reason})`);
    for (const p of sel.passedOver) log(`  passed over ${p.name}: ${p.why}`);
    return sel;
  };

  if (choice === 'auto' || choice === 'tensorflow') {
    const sel = await tryTensorflow(opts, passedOver);
    if (sel != null) return done(sel);
    if (choice === 'tensorflow') {
      const why = passedOver.map((p) => `${p.name} ${p.why}`).join('; ');
      throw new BackendError('tensorflow-unavailable',
        `backend 'tensorflow' is not available (${why}). Install @tensorflow/tfjs-node or -node-gpu with its ` +
        `build script allowed (see the @pawpipe/tf-backend README), or choose 'wasm'`);
    }
  } else {
    passedOver.push({ name: 'tensorflow', why: `not tried: '${choice}' was asked for` });
  }

  if (choice === 'auto' || choice === 'wasm') {
    const sel = await tryWasm(opts, passedOver);
    if (sel != null) return done(sel);
    if (choice === 'wasm') {
      throw new BackendError('backend-init-failed', `backend 'wasm' did not start: ${passedOver.at(-1)?.why ?? ''}`);
    }
  } else {
    passedOver.push({ name: 'wasm', why: `not tried: '${choice}' was asked for` });
  }

  const failure = await activate('cpu');
  if (failure != null) throw new BackendError('backend-init-failed', `backend 'cpu' did not start: ${failure}`);
  return done({
    name: 'cpu',
    reason: choice === 'cpu' ? 'asked for; pure JavaScript, far slower than wasm' : 'every faster backend was unavailable; pure JavaScript',
    passedOver,
  });
}
