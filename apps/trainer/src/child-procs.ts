// Helpers of the benchmark scripts (bench.ts, gpu-check.ts): fresh loopback ports and the apps as
// real child processes.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs apps/<file> (e.g. 'loader/dist/main.js') to its end; rejects with its stderr on a non-zero exit. */
export function runApp(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', '..', file), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`${file} exited ${code}:\n${err}`))));
  });
}
