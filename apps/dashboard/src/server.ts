import { createReadStream, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { contentType } from './content-types';
import { DashboardError } from './errors';
import { fingerprint, listRunDirs, listRuns, readRun } from './runs';
import type { RunStatus } from './runs';
import { resolveUnder } from './safe-path';

export interface DashboardOptions {
  /** the runs folder; only files under it (and the page's own files) are served */
  runs: string;
  port: number;
  /** interface to bind (127.0.0.1 unless the user says otherwise) */
  listen: string;
  /** the built page (index.html, app.js, app.css, wasm/) */
  publicDir: string;
  /** how often the runs folder is looked at for changes (the page hears of them within this) */
  pollMs?: number;
  staleMs?: number;
  log?: (line: string) => void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The dashboard's HTTP server: the page, a JSON API over the runs folder, server-sent events when
 * a run's files change, and the runs' own files (the page loads the model from them). It only
 * reads: every file is opened read-only and nothing is written.
 */
export class DashboardServer {
  private server: http.Server | null = null;
  private root = '';
  private readonly clients = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private seen = new Map<string, string>();
  private statuses = new Map<string, RunStatus>();
  private ticks = 0;
  private ticking = false;

  constructor(private readonly o: DashboardOptions) {}

  get staleMs(): number {
    return this.o.staleMs ?? 120_000;
  }

  async start(): Promise<string> {
    const st = await fs.stat(this.o.runs).catch(() => null);
    if (!st?.isDirectory()) throw new DashboardError('bad-runs', `--runs ${this.o.runs}: no such folder (train first, or name the folder holding run folders)`, this.o.runs);
    this.root = await fs.realpath(this.o.runs);
    this.seen = await fingerprint(this.root);
    for (const r of await listRuns(this.root, { staleMs: this.staleMs })) this.statuses.set(r.name, r.status);
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.o.log?.(`error serving ${req.url}: ${(e as Error).message}`);
        if (!res.headersSent) send(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') reject(new DashboardError('port-in-use', `--port ${this.o.port}: already in use on ${this.o.listen} (pick another, or 0 for any free port)`, undefined, { cause: e }));
        else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new DashboardError('bad-listen', `--listen ${this.o.listen}: not an address of this machine`, undefined, { cause: e }));
        else reject(e);
      });
      server.listen(this.o.port, this.o.listen, () => resolve());
    });
    this.server = server;
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 500);
    return this.url;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.o.listen.includes(':') ? `[${this.o.listen}]` : this.o.listen;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.port}/`;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** Status of one run (for --until-done). */
  async status(name: string): Promise<RunStatus | null> {
    if (!(await listRunDirs(this.root)).includes(name)) return null;
    return (await readRun(this.root, name, { staleMs: this.staleMs }, false)).status;
  }

  /** Look for changed files (every tick) and changed statuses (every ~5 s: a run going quiet changes no file). */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const changed = new Set<string>();
      const now = await fingerprint(this.root);
      for (const [name, fp] of now) if (this.seen.get(name) !== fp) changed.add(name);
      for (const name of this.seen.keys()) if (!now.has(name)) changed.add(name);
      this.seen = now;
      if (changed.size > 0 || this.ticks++ % 10 === 0) {
        for (const r of await listRuns(this.root, { staleMs: this.staleMs })) {
          if (this.statuses.get(r.name) !== r.status) changed.add(r.name);
          this.statuses.set(r.name, r.status);
        }
      }
      if (changed.size > 0) this.broadcast('change', { runs: [...changed] });
    } finally {
      this.ticking = false;
    }
  }

  private broadcast(event: string, data: unknown): void {
    for (const c of this.clients) c.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only: GET and HEAD only\n', { Allow: 'GET, HEAD' });
    // DNS rebinding: a page of another site resolving its name to 127.0.0.1 must not read the runs.
    if (LOOPBACK.has(this.o.listen) && !LOOPBACK.has(hostName(req.headers.host ?? ''))) return send(res, 403, 'Host must be 127.0.0.1 or localhost\n');
    const raw = (req.url ?? '/').split('?')[0] as string;
    if (raw === '/' || raw === '/index.html') return this.file(res, path.join(this.o.publicDir, 'index.html'));
    if (raw.startsWith('/static/')) {
      const r = await resolveUnder(await fs.realpath(this.o.publicDir), raw.slice('/static/'.length));
      return r.ok ? this.file(res, r.file) : send(res, r.status, `${r.why}\n`);
    }
    if (raw === '/api/runs') return json(res, await listRuns(this.root, { staleMs: this.staleMs }));
    if (raw.startsWith('/api/runs/')) {
      const name = safeDecode(raw.slice('/api/runs/'.length));
      if (name === null || !(await listRunDirs(this.root)).includes(name)) return send(res, 404, 'no such run\n');
      return json(res, await readRun(this.root, name, { staleMs: this.staleMs }));
    }
    if (raw === '/api/events') return this.events(req, res);
    if (raw.startsWith('/runs/')) {
      const r = await resolveUnder(this.root, raw.slice('/runs/'.length));
      return r.ok ? this.file(res, r.file) : send(res, r.status, `${r.why}\n`);
    }
    return send(res, 404, 'not found\n');
  }

  private events(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SAFE_HEADERS });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  private async file(res: http.ServerResponse, file: string): Promise<void> {
    const st = await fs.stat(file).catch(() => null);
    if (!st?.isFile()) return send(res, 404, 'not found\n');
    res.writeHead(200, { 'Content-Type': contentType(file), 'Content-Length': st.size, 'Cache-Control': 'no-store', ...SAFE_HEADERS });
    if (res.req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolve, reject) => {
      createReadStream(file, { flags: 'r' }).on('error', reject).pipe(res).on('finish', resolve).on('close', resolve);
    });
  }
}

/**
 * No Access-Control-Allow-Origin at all (other sites cannot read the runs); the page runs only its
 * own scripts (wasm-unsafe-eval for the TensorFlow.js wasm backend).
 */
const SAFE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'",
  'Referrer-Policy': 'no-referrer',
};

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0] as string;
}

function safeDecode(s: string): string | null {
  try {
    const d = decodeURIComponent(s);
    return d.includes('/') || d.includes('\\') || d.startsWith('.') ? null : d;
  } catch {
    return null;
  }
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...SAFE_HEADERS, ...headers });
  res.end(body);
}

function json(res: http.ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...SAFE_HEADERS });
  res.end(text);
}
