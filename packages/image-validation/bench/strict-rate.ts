/**
 * `pnpm bench`: files per second on ONE core for the strict policy, side by side in the same run
 * with Pillow's full decode and ImageMagick's `identify -verbose` (a process per file), on
 * (a) the demo data and (b) 500x375 photo-like JPEGs. Also: a full scan of the demo folder on all
 * cores, then again from the verdict cache.
 *
 * One core: the process re-runs itself under `taskset -c 0` (the peers too), with
 * UV_THREADPOOL_SIZE=1 and sharp.concurrency(1), and examines one file at a time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { inspect, scan } from '../src';
import { walk } from '../src/walk';
import { hasTaskset, identify, pillow, type PeerResult } from './peers';
import { photoFolder } from './photos';

const IDENTIFY_FILES = 100;
const DEMO_FILES = 1000;
const PHOTO_FILES = 300;
const ROUNDS = 3;

function repoRoot(): string | undefined {
  for (let d = __dirname; path.dirname(d) !== d; d = path.dirname(d)) if (existsSync(path.join(d, 'pnpm-workspace.yaml'))) return d;
  return undefined;
}

/** The demo folder (PAWPIPE_DEMO_DIR or <repo>/data/demo); made with the demo-data CLI when missing. */
function demoDir(): { dir?: string; why?: string } {
  const root = repoRoot();
  const dir = process.env.PAWPIPE_DEMO_DIR || (root && path.join(root, 'data', 'demo'));
  if (!dir) return { why: 'no repo root found and PAWPIPE_DEMO_DIR unset' };
  if (existsSync(path.join(dir, '.pawpipe-demo.json'))) return { dir };
  const cli = root && path.join(root, 'packages', 'demo-data', 'dist', 'cli.js');
  if (!cli || !existsSync(cli)) return { why: `no demo data at ${dir} (run "pnpm demo" first)` };
  process.stdout.write(`making the demo data at ${dir} ...\n`);
  const r = spawnSync(process.execPath, [cli, 'generate', '--out', dir], { stdio: 'inherit' });
  return r.status === 0 ? { dir } : { why: `demo-data generate failed (exit ${r.status})` };
}

/** Evenly spaced sample of at most n items, keeping order. */
const sample = <T>(xs: T[], n: number) => (xs.length <= n ? xs : Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!));

async function strictRate(files: string[]): Promise<{ rate: number; flagged: number }> {
  for (const f of files.slice(0, 20)) await inspect(f); // warm up the JIT and libvips
  let flagged = 0;
  const t = process.hrtime.bigint();
  for (const f of files) if ((await inspect(f, { policy: 'strict' })).flagged) flagged++;
  return { rate: files.length / (Number(process.hrtime.bigint() - t) / 1e9), flagged };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const show = (p: PeerResult) => ('missing' in p ? 'n/a' : fmt(p.rate));
const ratio = (a: number, p: PeerResult) => ('missing' in p ? 'n/a' : `${(a / p.rate).toFixed(1)}x`);

async function main(): Promise<void> {
  if (hasTaskset() && !process.env.PAWPIPE_BENCH_PINNED) {
    const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, PAWPIPE_BENCH_PINNED: '1', UV_THREADPOOL_SIZE: '1' },
    });
    process.exit(r.status ?? 1);
  }
  sharp.concurrency(1);
  const notes: string[] = [];
  const rows: string[][] = [];
  const demo = demoDir();
  const sets: Array<[string, string[]]> = [];
  if (demo.dir) {
    const all = (await walk(demo.dir)).files.map((f) => path.join(demo.dir!, f));
    sets.push([`(a) demo data, ${fmt(all.length)} files`, sample(all, DEMO_FILES)]);
  } else notes.push(`(a) demo data skipped: ${demo.why}`);
  const photos = await photoFolder(path.join(os.tmpdir(), 'pawpipe-bench-photos-500x375'), PHOTO_FILES);
  sets.push(['(b) 500x375 photo-like JPEGs, q90', photos]);

  for (const [label, files] of sets) {
    // Best of ROUNDS, strict and Pillow interleaved, so both see the same background load.
    let s = { rate: 0, flagged: 0 };
    let pil: PeerResult = { missing: '' };
    for (let round = 0; round < ROUNDS; round++) {
      const sr = await strictRate(files);
      if (sr.rate > s.rate) s = sr;
      const pr = await pillow(files);
      if ('missing' in pr) pil = pr;
      else if ('missing' in pil || pr.rate > pil.rate) pil = pr;
    }
    const idf = identify(sample(files, IDENTIFY_FILES));
    for (const p of [pil, idf]) if ('missing' in p && !notes.includes(p.missing)) notes.push(p.missing);
    rows.push([label, String(files.length), fmt(s.rate), show(pil), show(idf), ratio(s.rate, idf), ratio(s.rate, pil)]);
  }

  const head = ['data', 'files', 'strict', 'Pillow load()', `identify -verbose (${IDENTIFY_FILES})`, 'strict/identify', 'strict/Pillow'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const pin = hasTaskset() ? 'taskset -c 0' : 'no taskset: not pinned';
  process.stdout.write(`\nvalidate-images strict policy: files/second on one core (${pin}; sharp.concurrency(1), UV_THREADPOOL_SIZE=1, one file at a time; strict and Pillow best of ${ROUNDS} interleaved rounds)\n`);
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`goals: strict >= 10x identify, strict >= Pillow (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores; figures are noisy on a shared machine)\n`);

  if (demo.dir) {
    // The verdict cache, measured on all cores in a child without the pinning.
    const cacheDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pawpipe-bench-cache-'));
    const r = spawnSync(process.execPath, ['-e', `
      const { scan } = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
      (async () => {
        const t0 = Date.now(); const a = await scan(${JSON.stringify(demo.dir)}, { cache: ${JSON.stringify(cacheDir)} });
        const t1 = Date.now(); const b = await scan(${JSON.stringify(demo.dir)}, { cache: ${JSON.stringify(cacheDir)} });
        const t2 = Date.now();
        console.log(a.summary.total, (t1 - t0) / 1000, (t2 - t1) / 1000, b.summary.cached);
      })();`], { encoding: 'utf8', env: { ...process.env, PAWPIPE_BENCH_PINNED: '' } });
    await fsp.rm(cacheDir, { recursive: true, force: true });
    const [total, first, second, cached] = r.stdout.trim().split(' ').map(Number);
    if (r.status === 0 && total) {
      process.stdout.write(`scan of the demo folder on all cores: ${total} files in ${first!.toFixed(2)} s; again from the cache: ${second!.toFixed(3)} s (${cached} cached, ${(first! / second!).toFixed(0)}x faster)\n`);
    } else notes.push(`cache timing failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
