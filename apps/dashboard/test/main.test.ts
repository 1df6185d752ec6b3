import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import * as path from 'node:path';
import { evalLine, historyLine, writeRun } from './fixtures';

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
let root: string;
let child: ChildProcess | null = null;
let blocker: net.Server | null = null;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-dash-main-'));
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = null;
  rmSync(root, { recursive: true, force: true });
});

test('a missing --runs folder, a bad --port, a taken port: one line each, exit code 2', async () => {
  const missing = spawnSync(process.execPath, [MAIN, '--runs', path.join(root, 'nope')], { encoding: 'utf8' });
  expect(missing.status).toBe(2);
  expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--runs .*nope: no such folder/)]);
  const badPort = spawnSync(process.execPath, [MAIN, '--runs', root, '--port', '70000'], { encoding: 'utf8' });
  expect(badPort.status).toBe(2);
  expect(badPort.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--port must be an integer 0\.\.65535/)]);
  blocker = net.createServer();
  await new Promise<void>((r) => blocker?.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  const taken = spawnSync(process.execPath, [MAIN, '--runs', root, '--port', String(port)], { encoding: 'utf8' });
  expect(taken.status).toBe(2);
  expect(taken.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`--port ${port}: already in use`))]);
});

test('`pawpipe serve` is the same command', () => {
  const cli = path.resolve(__dirname, '..', '..', 'cli', 'dist', 'main.js');
  const r = spawnSync(process.execPath, [cli, 'serve', '--runs', path.join(root, 'nope')], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--runs .*nope: no such folder/)]);
});

test('--until-done prints the URL, serves, and ends with exit 0 once the run has completed', async () => {
  // started before the trainer has made the runs folder, as in the main job
  const runs = path.join(root, 'runs');
  child = spawn(process.execPath, [MAIN, '--runs', runs, '--port', '0', '--until-done', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiting = new Promise<void>((resolve) => child?.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    if (/waiting for/.test(err)) resolve();
  }));
  await waiting;
  writeRun(path.join(runs, 'demo'), { epochs: 3, trained: 2, scored: 2 });
  const url = await new Promise<string>((resolve) => child?.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)#\/run\/demo\n/.exec(out);
    if (m) resolve(m[1] as string);
  }));
  expect(err).toMatch(/waiting for .*runs to appear/);
  const list = await (await fetch(`${url}api/runs`)).json() as Array<{ name: string; status: string }>;
  expect(list).toEqual([expect.objectContaining({ name: 'demo', status: 'running' })]);
  // Bound to loopback by default: this machine's other addresses get no answer on that port.
  const port = new URL(url).port;
  const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
  if (external) await expect(fetch(`http://${external.address}:${port}/api/runs`)).rejects.toThrow();
  else console.log('no non-loopback IPv4 address here: the default bind is checked through the URL only');
  const exited = new Promise<number | null>((r) => child?.on('exit', (code) => r(code)));
  appendFileSync(path.join(runs, 'demo', 'history.jsonl'), `${JSON.stringify(historyLine(3))}\n`);
  appendFileSync(path.join(runs, 'demo', 'eval.jsonl'), `${JSON.stringify(evalLine(3, 3))}\n`);
  expect(await exited).toBe(0);
  expect(err).toMatch(/run demo completed: stopping/);
});
