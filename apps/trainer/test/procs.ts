import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

const APPS = path.resolve(__dirname, '..', '..');
export const MAIN = {
  trainer: path.join(APPS, 'trainer', 'dist', 'main.js'),
  loader: path.join(APPS, 'loader', 'dist', 'main.js'),
  evaluator: path.join(APPS, 'evaluator', 'dist', 'main.js'),
};

export interface Proc {
  child: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const running = new Set<Proc>();

/** Start an app as a real child process (its built dist/main.js). */
export function start(app: keyof typeof MAIN, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  if (!existsSync(MAIN[app])) throw new Error(`${MAIN[app]} is missing: build first (pnpm turbo run build)`);
  const child = spawn(process.execPath, [MAIN[app], ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const p: Proc = {
    child, pid: child.pid as number, out: () => out, err: () => err,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => { running.delete(p); resolve(code ?? (signal ? -1 : null)); })),
  };
  running.add(p);
  return p;
}

/** kill -9 by pid. */
export async function kill9(p: Proc): Promise<void> {
  process.kill(p.pid, 'SIGKILL');
  await p.exited;
}

/** Kill whatever a test left running (by pid). */
export async function killAll(): Promise<void> {
  for (const p of [...running]) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
    await p.exited;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 90_000, everyMs = 25): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function jsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}
