import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError, initBackend, MAX_WASM_THREADS } from '../src';
import { writeThreadScripts } from '../src/wasm-threads';

interface ChildResult { reason: string; passedOver: Array<{ name: string; why: string }>; threads: number; loss: number; grads: Record<string, number[]> }

/** Runs test/fixtures/gradients.js (built dist/) in its own process: the thread pool is per process. */
function gradientsWith(threads: number, env: NodeJS.ProcessEnv = {}): ChildResult {
  const res = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'gradients.js'), String(threads)], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
  // A worker left referenced would keep the child alive until the timeout kills it (signal set).
  expect(res.signal).toBeNull();
  if (res.status !== 0) throw new Error(`gradients.js ${threads} exited ${res.status}: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

describe('wasm threaded SIMD under Node', () => {
  test('2 threads start, compute the same gradients as 1 thread, and the process exits by itself', () => {
    const one = gradientsWith(1);
    const two = gradientsWith(2);
    expect(one.threads).toBe(1);
    expect(one.reason).toMatch(/\(SIMD, 1 thread\)/);
    expect(two.threads).toBe(2);
    expect(two.reason).toMatch(/threaded SIMD, 2 threads/);
    expect(Object.keys(two.grads).sort()).toEqual(['dw', 'pw', 'res', 'w1']);
    expect(Math.abs(two.loss - one.loss) / Math.abs(one.loss)).toBeLessThan(1e-5);
    for (const [name, g] of Object.entries(one.grads)) {
      const h = two.grads[name] as number[];
      expect(h).toHaveLength(g.length);
      const mag = Math.max(...g.map(Math.abs));
      const diff = Math.max(...g.map((v, i) => Math.abs(v - (h[i] as number))));
      expect(diff / (1 + mag)).toBeLessThan(1e-5);
    }
  });

  test('where the worker scripts cannot be written, wasm runs single-threaded and says why', () => {
    // a temp "folder" that is a file: nothing can be created under it (root ignores permissions)
    const notADir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pawpipe-threads-')), 'pawpipe-not-writable');
    fs.writeFileSync(notADir, '');
    const res = gradientsWith(2, { TMPDIR: notADir });
    fs.rmSync(path.dirname(notADir), { recursive: true, force: true });
    expect(res.threads).toBe(1);
    expect(res.reason).toMatch(/\(SIMD, 1 thread\)/);
    expect(res.passedOver.find((p) => p.name === 'wasm with 2 threads')?.why).toMatch(/^its worker scripts could not be written \(.*pawpipe-not-writable.*\); running single-threaded$/);
  });

  test('the worker and main scripts are written once, content-addressed, and reused', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pawpipe-threads-'));
    const a = writeThreadScripts(root);
    const b = writeThreadScripts(root);
    expect(b).toEqual(a);
    expect(path.dirname(a.worker)).toBe(path.dirname(a.main));
    expect(path.basename(path.dirname(a.main))).toMatch(/^pawpipe-tfjs-wasm-threads-[0-9a-f]{16}$/);
    // the worker is told where the main script is, and the main script defines the factory it calls
    expect(fs.readFileSync(a.worker, 'utf8').split('\n')[0]).toContain(JSON.stringify(a.main));
    expect(fs.readFileSync(a.main, 'utf8')).toMatch(/^var WasmBackendModuleThreadedSimd = function/);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a bad thread count is a BackendError naming the option', async () => {
    for (const bad of [0, 1.5, MAX_WASM_THREADS + 1]) {
      const err = await initBackend('wasm', { threads: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as BackendError).message).toMatch(new RegExp(`^threads must be .* got ${bad}$`));
    }
  });

  test('once wasm runs single-threaded in a process, asking for threads says it stays so', async () => {
    await initBackend('wasm');
    const sel = await initBackend('wasm', { threads: 2 });
    expect(sel.name).toBe('wasm');
    expect(sel.reason).toMatch(/1 thread/);
    expect(sel.passedOver.find((p) => p.name === 'wasm with 2 threads')?.why).toMatch(/fixed at its first start/);
  });
});
