/**
 * `pnpm bench:decode-accuracy`: the demo job (loader, trainer, evaluator over ZeroMQ, 32x32,
 * 5 epochs, as `pnpm turbo run train`) three times with --decode exact and three times with
 * --decode fast, interleaved, each in its own run folder on fresh loopback ports; prints each
 * run's best val_accuracy and the means. About 2 minutes a run on an idle 2-core machine.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

function repoRoot(): string {
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'pnpm-workspace.yaml'))) return d;
    if (path.dirname(d) === d) throw new Error('run it inside the pawpipe repository');
  }
}
const ROOT = repoRoot();
const app = (name: string) => path.join(ROOT, 'apps', name, 'dist', 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], logFile: string): Promise<number | null> {
  return new Promise((resolve) => {
    void fsp.open(logFile, 'w').then((fh) => {
      const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', fh.fd, fh.fd] });
      child.on('exit', (code) => void fh.close().then(() => resolve(code)));
    });
  });
}

async function once(mode: 'exact' | 'fast', k: number, work: string): Promise<{ best: number; seconds: number }> {
  const runDir = path.join(work, `${mode}-${k}`);
  await fsp.rm(runDir, { recursive: true, force: true });
  await fsp.mkdir(runDir, { recursive: true });
  const [data, events, checkpoints] = [await freePort(), await freePort(), await freePort()];
  const t0 = Date.now();
  const codes = await Promise.all([
    run(app('trainer'), ['--run-dir', runDir, '--image-size', '32', '--batch-size', '32', '--epochs', '5', '--bn-momentum', '0.9', '--recalibrate-bn', '20',
      '--data-port', String(data), '--events-port', String(events), '--checkpoint-port', String(checkpoints)], path.join(runDir, 'trainer.log')),
    run(app('loader'), ['--ensure-demo', '--image-size', '32', '--batch-size', '32', '--decode', mode, '--trainer', `tcp://127.0.0.1:${data}`],
      path.join(runDir, 'loader.log')),
    run(app('evaluator'), ['--run-dir', runDir, '--decode', mode, '--events', `tcp://127.0.0.1:${events}`, '--checkpoints', `tcp://127.0.0.1:${checkpoints}`],
      path.join(runDir, 'evaluator.log')),
  ]);
  if (codes.some((c) => c !== 0)) throw new Error(`${mode} run ${k}: exit codes ${codes.join(', ')} (logs in ${runDir})`);
  const lines = (await fsp.readFile(path.join(runDir, 'eval.jsonl'), 'utf8')).trim().split('\n');
  const best = Math.max(...lines.map((l) => (JSON.parse(l) as { val_accuracy: number }).val_accuracy));
  return { best, seconds: (Date.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 3) || 3;
  const work = path.join(ROOT, '.cache', 'bench-decode-accuracy');
  console.log(`demo job, --decode exact against fast, ${runs} runs each, interleaved; ${os.availableParallelism()} cores, load ${os.loadavg()[0]!.toFixed(2)}`);
  const res: Record<'exact' | 'fast', number[]> = { exact: [], fast: [] };
  for (let k = 0; k < runs; k++) {
    for (const mode of ['exact', 'fast'] as const) {
      const r = await once(mode, k, work);
      res[mode].push(r.best);
      console.log(`${mode} run ${k + 1}: best val_accuracy ${r.best.toFixed(4)} (${r.seconds.toFixed(0)} s)`);
    }
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const [me, mf] = [mean(res.exact), mean(res.fast)];
  console.log(`| decode | best val_accuracy per run | mean |\n|---|---|---|`);
  for (const m of ['exact', 'fast'] as const) console.log(`| ${m} | ${res[m].map((v) => v.toFixed(4)).join(', ')} | ${mean(res[m]).toFixed(4)} |`);
  console.log(`fast - exact: ${(100 * (mf - me)).toFixed(2)} points (goal: no worse than -1 point). Load after: ${os.loadavg()[0]!.toFixed(2)}`);
}

main().catch((e: unknown) => {
  console.error(`bench:decode-accuracy: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
