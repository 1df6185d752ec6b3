// Chooses and starts the one TensorFlow.js backend of the process. Order for 'auto':
// tfjs-node-gpu when it loads and sees a GPU, else WebGPU on a hardware adapter (./webgpu.ts),
// else tfjs-node, else wasm (with the gradient kernels of ./wasm-grad), else the pure-JS cpu
// backend. Every choice reports why it won and why each other candidate was passed over.
import * as path from 'node:path';
import * as os from 'node:os';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { BackendError } from './errors';
import { registerWasmGradientKernels } from './wasm-grad/register';
import { MAX_WASM_THREADS, prepareThreadedStart, unrefWasmWorkers } from './wasm-threads';
import { describeAdapter, probeHardwareQuietly, probeWebGpu, registerWebGpuBackend, webGpuAdapter, type WebGpuAdapterInfo } from './webgpu';

export type BackendChoice = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type NativePackage = 'tfjs-node-gpu' | 'tfjs-node';

export interface InitBackendOptions {
  /**
   * wasm's multi-threaded SIMD build with this many XNNPACK threads (true: one per core; 1 or
   * false: the single-threaded SIMD build, the default). Fixed at the first wasm start of a
   * process. See src/wasm-threads.ts for what it takes under Node.
   */
  threads?: boolean | number;
  /** Receives one line per decision. */
  log?: (line: string) => void;
  /** Loads a native package (default: require('@tensorflow/<name>')); injectable for tests. */
  loadNative?: (name: NativePackage) => unknown;
}

export interface BackendSelection {
  /** tfjs backend name now active: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' */
  name: string;
  /** Which package provides it and why it was chosen. */
  reason: string;
  passedOver: Array<{ name: string; why: string }>;
  /** On webgpu: the adapter, with the limits that decide the micro-batch. */
  adapter?: WebGpuAdapterInfo;
  /** A warning worth one line of its own (a fallback adapter is a CPU emulation). */
  warning?: string;
}

/** The choices, in the order 'auto' tries them after tfjs-node-gpu. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
const CHOICES = BACKEND_CHOICES;

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

/**
 * tfjs-node-gpu, then tfjs-node. `beforeCpu` runs where a GPU could still win: after tfjs-node-gpu
 * did not find one, before libtensorflow's CPU path is taken ('auto' puts WebGPU on a hardware
 * adapter there: an AMD or Apple GPU has no CUDA, and tfjs-node-gpu sees none).
 */
async function tryTensorflow(
  opts: InitBackendOptions, passedOver: BackendSelection['passedOver'],
  beforeCpu: () => Promise<BackendSelection | undefined> = async () => undefined,
): Promise<BackendSelection | undefined> {
  const load = opts.loadNative ?? defaultLoadNative;
  const start = async (pkg: NativePackage): Promise<boolean> => {
    try {
      load(pkg);
    } catch (err) {
      passedOver.push({ name: pkg, why: `could not be loaded: ${nativeLoadReason(err)}` });
      return false;
    }
    const failure = await activate('tensorflow');
    if (failure != null) passedOver.push({ name: pkg, why: `loaded but its backend did not start: ${failure}` });
    return failure == null;
  };
  const gpuPackage = await start('tfjs-node-gpu');
  if (gpuPackage && gpuVisible()) return { name: 'tensorflow', reason: 'tfjs-node-gpu loaded and sees a GPU', passedOver };
  const gpu = await beforeCpu();
  if (gpu != null) return gpu;
  if (gpuPackage) {
    // Both packages register the same 'tensorflow' backend, so loading tfjs-node next to
    // tfjs-node-gpu would clash; libtensorflow's CPU path is still far faster than wasm.
    if ((await activate('tensorflow')) == null) {
      passedOver.push({ name: 'tfjs-node', why: 'not loaded: tfjs-node-gpu already provides the tensorflow backend' });
      return { name: 'tensorflow', reason: 'tfjs-node-gpu loaded but sees no GPU: libtensorflow runs on the CPU', passedOver };
    }
  }
  if (await start('tfjs-node')) return { name: 'tensorflow', reason: 'tfjs-node loaded (libtensorflow on the CPU)', passedOver };
  return undefined;
}

function fallbackPassedOver(passedOver: BackendSelection['passedOver'], info: WebGpuAdapterInfo | string): undefined {
  const adapter = typeof info === 'string' ? info : describeAdapter(info);
  passedOver.push({ name: 'webgpu', why: `only a fallback adapter, ${adapter}: a CPU emulation, slower than wasm (--backend webgpu uses it anyway)` });
  return undefined;
}

/**
 * WebGPU through Dawn. A fallback adapter (SwiftShader: a CPU emulation) is taken only when
 * WebGPU was asked for by name, with a warning; 'auto' passes it over.
 */
async function tryWebGpu(passedOver: BackendSelection['passedOver'], allowFallback: boolean): Promise<BackendSelection | undefined> {
  let info = webGpuAdapter();
  if (info === undefined && !allowFallback) {
    // 'auto' on a machine without a GPU: find that out without Dawn's driver warnings on stderr
    const quiet = await probeHardwareQuietly();
    if (quiet?.kind === 'none') {
      passedOver.push({ name: 'webgpu', why: quiet.why });
      return undefined;
    }
    if (quiet?.kind === 'fallback') return fallbackPassedOver(passedOver, quiet.adapter);
  }
  if (info === undefined) {
    // the first start in this process; later ones reuse the backend, its device and its tensors
    const probe = await probeWebGpu();
    if ('why' in probe) {
      passedOver.push({ name: 'webgpu', why: probe.why });
      return undefined;
    }
    if (probe.info.isFallbackAdapter && !allowFallback) return fallbackPassedOver(passedOver, probe.info);
    try {
      registerWebGpuBackend(probe.adapter, probe.info);
    } catch (err) {
      passedOver.push({ name: 'webgpu', why: firstLine(err) });
      return undefined;
    }
    info = probe.info;
  } else if (info.isFallbackAdapter && !allowFallback) {
    return fallbackPassedOver(passedOver, info);
  }
  const failure = await activate('webgpu');
  if (failure != null) {
    passedOver.push({ name: 'webgpu', why: `the adapter was found but the backend did not start: ${failure}` });
    return undefined;
  }
  return {
    name: 'webgpu', reason: `WebGPU on ${describeAdapter(info)}`, passedOver, adapter: info,
    ...(info.isFallbackAdapter ? { warning: `'${info.description || info.architecture}' is a fallback adapter: a CPU emulation of a GPU, slower than --backend wasm` } : {}),
  };
}

/** The thread count asked for, or an error line. */
function wantedThreads(threads: InitBackendOptions['threads']): number {
  if (threads === undefined || threads === false) return 1;
  if (threads === true) return Math.min(os.cpus().length, MAX_WASM_THREADS);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new BackendError('unknown-backend', `threads must be true, false or a whole number from 1 to ${MAX_WASM_THREADS}, got ${String(threads)}`);
  }
  return threads;
}

async function tryWasm(
  opts: InitBackendOptions, passedOver: BackendSelection['passedOver'],
): Promise<BackendSelection | undefined> {
  const want = wantedThreads(opts.threads);
  setWasmPaths(wasmBinaryDir());
  const added = registerWasmGradientKernels();
  // The wasm module starts once per process; later calls get the same build and pool.
  const started = tf.findBackend('wasm') != null;
  let restore: (() => void) | undefined;
  if (!started && want > 1) {
    try {
      restore = prepareThreadedStart(want, tf.env(), setThreadsCount);
    } catch (err) {
      // e.g. a read-only temp folder: the single-threaded build still works
      passedOver.push({ name: `wasm with ${want} threads`, why: `its worker scripts could not be written (${firstLine(err)}); running single-threaded` });
    }
  }
  let failure: string | undefined;
  try {
    failure = await activate('wasm');
  } finally {
    restore?.();
  }
  if (failure != null) {
    passedOver.push({ name: 'wasm', why: `did not start: ${failure}` });
    return undefined;
  }
  unrefWasmWorkers(tf.backend());
  const threads = getThreadsCount();
  if (started && threads !== want) {
    passedOver.push({ name: `wasm with ${want} threads`, why: `wasm already runs in this process with ${threads}; the thread count is fixed at its first start` });
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const build = threads > 1 ? `threaded SIMD, ${threads} threads` : `${simd ? 'SIMD' : 'no SIMD'}, 1 thread`;
  const kernels = added.length > 0 ? `; registered ${added.join(', ')}` : '';
  return { name: 'wasm', reason: `tfjs-backend-wasm (${build}) with pawpipe's gradient kernels${kernels}`, passedOver };
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
    if (sel.warning) log(`warning: ${sel.warning}`);
    for (const p of sel.passedOver) log(`  passed over ${p.name}: ${p.why}`);
    return sel;
  };

  if (choice === 'webgpu') {
    passedOver.push({ name: 'tensorflow', why: "not tried: 'webgpu' was asked for" });
    const sel = await tryWebGpu(passedOver, true);
    if (sel != null) return done(sel);
    throw new BackendError('webgpu-unavailable',
      `backend 'webgpu' is not available: ${passedOver.at(-1)?.why ?? ''}; see "Backends, and a GPU run" in the README, or choose 'wasm'`);
  }
  if (choice === 'auto' || choice === 'tensorflow') {
    const sel = await tryTensorflow(opts, passedOver, choice === 'auto' ? () => tryWebGpu(passedOver, false) : undefined);
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
