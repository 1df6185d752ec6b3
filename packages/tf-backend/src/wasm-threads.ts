// Starts tfjs-backend-wasm 4.22's multi-threaded SIMD build under Node, which it cannot do by
// itself. Five things stand in the way, each handled here and nowhere else:
//  1. WASM_HAS_MULTITHREAD_SUPPORT is hard-wired false under Node (flags_wasm.ts, tfjs issue
//     3830): we set it before the backend starts.
//  2. Emscripten creates each pthread worker from locateFile('...worker.js'), for which tfjs
//     returns a blob: URL that worker_threads rejects (ERR_WORKER_PATH, thrown asynchronously,
//     the process dies). While the backend starts, URL.createObjectURL answers the worker's
//     Blob (type 'application/javascript') with the path of a real file holding the same script.
//  3. That worker then loads the main script from a Blob the same way. The file written in 2
//     starts with a one-line shim so that, in the worker, createObjectURL gives the path of the
//     main script, written next to it from wasm-out/ (the plain CommonJS copy the package ships;
//     the bundled copy's require calls are renamed by rollup and cannot run in a worker).
//  4. The C++ side caps the XNNPACK pool at emscripten_num_logical_cores() / 2 (it assumes two
//     hyperthreads per core), i.e. os.cpus().length / 2: 1 on a 2-core machine. During the
//     backend's constructor os.cpus() reports twice the threads asked for.
//  5. The workers keep Node's event loop alive, so no process would ever exit: they are unref'd.
// The scripts go to a content-addressed folder under the temp dir (written once, atomically).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

// The module object itself (import * gives a copy under CommonJS interop): patching os.cpus must
// reach the one tfjs-backend-wasm's Emscripten code calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const osModule = require('node:os') as { cpus: typeof os.cpus };
import * as path from 'node:path';

/** Most threads the pool can have: the build pre-creates 8 workers and init caps at 8. */
export const MAX_WASM_THREADS = 8;

interface ThreadScripts { worker: string; main: string }

function wasmOutDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

function writeOnce(file: string, text: string): void {
  if (fs.existsSync(file)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Writes the worker and main scripts (if not there yet) and returns their paths. */
export function writeThreadScripts(tmpRoot: string = os.tmpdir()): ThreadScripts {
  const out = wasmOutDir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.js')) as () => unknown;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const mainText = `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`;
  // The worker script is a template literal whose string escapes became real newlines; tfjs
  // escapes them back before making its Blob, and so do we.
  const workerBody = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(mainText).update(workerBody).digest('hex').slice(0, 16);
  const dir = path.join(tmpRoot, `pawpipe-tfjs-wasm-threads-${hash}`);
  fs.mkdirSync(dir, { recursive: true });
  const main = path.join(dir, 'tfjs-backend-wasm-threaded-simd.main.js');
  const worker = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  writeOnce(main, mainText);
  const shim = `URL.createObjectURL=function(){return ${JSON.stringify(main)}};URL.revokeObjectURL=function(){};\n`;
  writeOnce(worker, shim + workerBody);
  return { worker, main };
}

/**
 * Makes the next start of the wasm backend use the threaded build with `threads` XNNPACK
 * threads. Call right before tf.setBackend('wasm') and call the returned function right after
 * it settles (it restores URL.createObjectURL and os.cpus).
 */
export function prepareThreadedStart(
  threads: number, env: { set(flag: string, value: boolean): void }, setThreadsCount: (n: number) => void,
): () => void {
  const scripts = writeThreadScripts();
  env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const url = globalThis.URL as unknown as { createObjectURL(b: unknown): string };
  const realCreate = url.createObjectURL;
  url.createObjectURL = (b: unknown): string =>
    (b instanceof Blob && b.type === 'application/javascript' ? scripts.worker : realCreate.call(URL, b));
  const realCpus = osModule.cpus;
  const cpus = realCpus();
  osModule.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length] as os.CpuInfo);
  return () => {
    url.createObjectURL = realCreate;
    osModule.cpus = realCpus;
  };
}

interface PThreadLike { unusedWorkers: Array<{ unref?(): void }>; runningWorkers: Array<{ unref?(): void }> }

/** Lets the process exit with the pool's workers still alive (they wait on futexes forever). */
export function unrefWasmWorkers(backend: unknown): number {
  const pthread = (backend as { wasm?: { PThread?: PThreadLike } }).wasm?.PThread;
  if (pthread == null) return 0;
  const workers = [...pthread.unusedWorkers, ...pthread.runningWorkers];
  for (const w of workers) w.unref?.();
  return workers.length;
}
