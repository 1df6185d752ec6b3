import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DashboardServer, PUBLIC_DIR, resolveUnder, runStatus } from '../src';
import { age, evalLine, historyLine, writeRun } from './fixtures';

let root: string;
let runs: string;
let server: DashboardServer | null = null;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-dash-'));
  runs = path.join(root, 'runs');
  writeRun(path.join(runs, 'done'), { epochs: 3, trained: 3, scored: 3 });
  writeRun(path.join(runs, 'live'), { epochs: 5, trained: 2, scored: 1 });
  writeRun(path.join(runs, 'crashed'), { epochs: 5, trained: 2, scored: 2 });
  age(path.join(runs, 'crashed'), 600);
  writeFileSync(path.join(root, 'secret.txt'), 'outside the runs folder\n');
  symlinkSync(path.join(root, 'secret.txt'), path.join(runs, 'done', 'leak.txt'));
  symlinkSync(root, path.join(runs, 'done', 'up'));
  symlinkSync(path.join(runs, 'done', 'model-summary.txt'), path.join(runs, 'done', 'alias.txt'));
});
afterEach(async () => {
  await server?.stop();
  server = null;
  rmSync(root, { recursive: true, force: true });
});

async function start(o: Partial<ConstructorParameters<typeof DashboardServer>[0]> = {}): Promise<DashboardServer> {
  server = new DashboardServer({ runs, port: 0, listen: '127.0.0.1', publicDir: PUBLIC_DIR, pollMs: 100, ...o });
  await server.start();
  return server;
}

/** A raw request: the path goes out exactly as written (fetch would normalise `..` away). */
function get(port: number, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

function snapshot(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const st = statSync(p, { throwIfNoEntry: false });
      h.update(`${p}:${st?.mtimeMs}:${st?.size}\n`);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

test('traversal is refused: .., encoded dots and slashes, absolute paths, backslashes, symlinks leading out', async () => {
  const s = await start();
  const refused = [
    '/runs/../secret.txt', '/runs/done/../../secret.txt', '/runs/%2e%2e/secret.txt', '/runs/%2E%2E%2Fsecret.txt',
    '/runs/done/%2f..%2f..%2fsecret.txt', '/runs/..%5csecret.txt', '/runs//etc/passwd', '/runs/%2Fetc%2Fpasswd',
    '/runs/done/leak.txt', '/runs/done/up/secret.txt', '/runs/.%2e/secret.txt', '/runs/done/%00', '/static/../../package.json',
    '/static/%2e%2e/index.js', '/api/runs/..%2fsecret.txt', '/api/runs/%2e%2e',
  ];
  for (const p of refused) {
    const r = await get(s.port, p);
    expect([p, r.status]).toEqual([p, expect.any(Number)]);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body).not.toContain('outside the runs folder');
    expect(r.body).not.toContain('root:');
  }
  expect((await get(s.port, '/runs/done/leak.txt')).status).toBe(403);
  // Inside the folder, a symlink to a file of the runs is fine; so is a plain file.
  expect((await get(s.port, '/runs/done/alias.txt')).body).toContain('mini_xception');
  const ok = await get(s.port, '/runs/done/model-summary.txt');
  expect(ok.status).toBe(200);
  expect(ok.body).toContain('mini_xception');
});

test('resolveUnder: the rules without a server', async () => {
  const real = realpathSync(runs);
  expect(await resolveUnder(real, 'done/model-summary.txt')).toEqual({ ok: true, file: path.join(real, 'done', 'model-summary.txt') });
  expect(await resolveUnder(real, 'done/../done/model-summary.txt')).toMatchObject({ ok: false, status: 400 });
  expect(await resolveUnder(real, '/etc/passwd')).toMatchObject({ ok: false, status: 400 });
  expect(await resolveUnder(real, 'C:/Windows/win.ini')).toMatchObject({ ok: false, status: 400 });
  expect(await resolveUnder(real, 'done/leak.txt')).toMatchObject({ ok: false, status: 403 });
  expect(await resolveUnder(real, 'done')).toMatchObject({ ok: false, status: 404 });
  expect(await resolveUnder(real, 'done/%E0%A4%A')).toMatchObject({ ok: false, status: 400 });
});

test('binds 127.0.0.1 by default, read-only methods, no open CORS, foreign Host refused, and no file changes', async () => {
  const before = snapshot(root);
  const s = await start();
  const addr = (s as unknown as { server: http.Server }).server.address() as AddressInfo;
  expect(addr.address).toBe('127.0.0.1');
  for (const p of ['/', '/api/runs', '/api/runs/done', '/runs/done/history.jsonl', '/static/app.js']) {
    const r = await get(s.port, p, { Origin: 'http://evil.example' });
    expect([p, r.status]).toEqual([p, 200]);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  }
  for (const m of ['POST', 'PUT', 'DELETE']) expect((await get(s.port, '/runs/done/history.jsonl', {}, m)).status).toBe(405);
  expect((await get(s.port, '/api/runs', { Host: 'evil.example:80' })).status).toBe(403);
  expect((await get(s.port, '/api/runs', { Host: `localhost:${s.port}` })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 300)); // a few polls of the folder
  await s.stop();
  server = null;
  expect(snapshot(root)).toBe(before);
});

test('the run list says running, completed and failed, from the files', async () => {
  const s = await start({ staleMs: 60_000 });
  const list = JSON.parse((await get(s.port, '/api/runs')).body) as Array<{ name: string; status: string; why: string }>;
  expect(Object.fromEntries(list.map((r) => [r.name, r.status]))).toEqual({ crashed: 'failed', done: 'completed', live: 'running' });
  const done = JSON.parse((await get(s.port, '/api/runs/done')).body) as { bestEpoch: number; history: unknown[]; evals: unknown[]; model: unknown };
  expect(done.history).toHaveLength(3);
  expect(done.evals).toHaveLength(3);
  expect(done.bestEpoch).toBe(3); // lowest val_loss of the fixture
  expect(done.model).toBeNull(); // no checkpoint in the fixture
  expect((await get(s.port, '/api/runs/nope')).status).toBe(404);
});

test('runStatus: completed once the last epoch is scored, failed when quiet before it, running otherwise', () => {
  const h = (n: number) => Array.from({ length: n }, (_, i) => historyLine(i + 1)) as never[];
  const e = (n: number, of: number) => Array.from({ length: n }, (_, i) => evalLine(i + 1, of)) as never[];
  const o = { staleMs: 1000, now: 10_000 };
  expect(runStatus(h(3), e(3, 3), 3, 0, o).status).toBe('completed');
  expect(runStatus(h(3), e(2, 3), 3, 9_500, o).status).toBe('running');
  expect(runStatus(h(3), e(2, 3), 3, 5_000, o).status).toBe('failed');
  expect(runStatus(h(3), [], 3, 5_000, o).status).toBe('completed'); // no evaluator ran
  expect(runStatus([], [], null, null, o).status).toBe('failed');
});

test('server-sent events name the run whose files changed', async () => {
  const s = await start();
  const events: string[] = [];
  const req = http.get({ host: '127.0.0.1', port: s.port, path: '/api/events' });
  const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  expect(res.headers['content-type']).toBe('text/event-stream');
  const got = new Promise<void>((resolve) => {
    res.setEncoding('utf8').on('data', (c: string) => {
      events.push(c);
      if (events.join('').includes('"live"')) resolve();
    });
  });
  appendFileSync(path.join(runs, 'live', 'history.jsonl'), `${JSON.stringify(historyLine(3))}\n`);
  await got;
  expect(events.join('')).toMatch(/event: change\ndata: \{"runs":\["live"\]\}/);
  req.destroy();
});

test('a runs folder that does not exist is one clear error', async () => {
  await expect(start({ runs: path.join(root, 'nope') })).rejects.toThrow(/--runs .*nope: no such folder/);
  server = null;
  mkdirSync(path.join(root, 'empty'));
  const s = await start({ runs: path.join(root, 'empty') });
  expect(JSON.parse((await get(s.port, '/api/runs')).body)).toEqual([]);
});
