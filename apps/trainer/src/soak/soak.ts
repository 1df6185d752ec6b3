#!/usr/bin/env node
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { generateDemoData } from '@pawpipe/demo-data';
import '@pawpipe/model'; // registers the augmentation layers, for loading checkpoints in the checks
import { initBackend } from '@pawpipe/tf-backend';
import { endChecks, rssVerdict, RSS_SLACK } from './checks';
import type { Check, RssVerdict } from './checks';
import { freePort } from '../child-procs';
import { HostilePeer } from './hostile';
import { Supervised } from './supervisor';

/**
 * `pnpm soak`: the demo job (2 loaders, trainer, evaluator) under chaos. Every 10-40 s one of
 * them is killed with SIGKILL and restarted; a hostile peer floods the trainer's data port with
 * malformed traffic the whole time. At the end: the run completed, the audit is clean, each
 * checkpoint was scored once, none is corrupt, and each process's peak RSS stayed flat after its
 * first epoch. Prints a summary table; exit 0 when every check passed, 1 otherwise.
 */

const APPS = path.resolve(__dirname, '..', '..', '..');
const MAIN = (app: string) => path.join(APPS, app, 'dist', 'main.js');
const MiB = 1024 * 1024;

/** mulberry32: a seeded schedule, so a failing soak can be replayed with --seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`soak: ${line}\n`);

async function main(): Promise<void> {
  const a = await yargs(hideBin(process.argv))
    .scriptName('pawpipe-soak')
    .option('epochs', { type: 'number', default: 60 })
    .option('image-size', { type: 'number', default: 16 })
    .option('batch-size', { type: 'number', default: 8 })
    .option('per-class', { type: 'number', default: 60, describe: 'demo pictures per class' })
    .option('kill-min-s', { type: 'number', default: 10 })
    .option('kill-max-s', { type: 'number', default: 40 })
    .option('hostile-rate', { type: 'number', default: 200, describe: 'malformed messages per second' })
    .option('max-minutes', { type: 'number', default: 9.5, describe: 'give up (and fail) after this long' })
    .option('seed', { type: 'number', describe: 'kill schedule seed (default: random, printed)' })
    .option('keep', { type: 'boolean', default: false, describe: 'keep the soak folder' })
    .strict()
    .help()
    .parseAsync();
  for (const app of ['trainer', 'loader', 'evaluator']) {
    if (!existsSync(MAIN(app))) throw new Error(`${MAIN(app)} is missing: build first (pnpm build)`);
  }
  const seed = a.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = rng(seed);
  const t0 = Date.now();
  const root = mkdtempSync(path.join(tmpdir(), 'pawpipe-soak-'));
  const dataDir = path.join(root, 'data');
  const runDir = path.join(root, 'run');
  log(`folder ${root}; kill schedule seed ${seed}; ${a.epochs} epochs at ${a['image-size']}x${a['image-size']}, batch ${a['batch-size']}`);
  await generateDemoData({ outDir: dataDir, perClass: a['per-class'], seed: 1337, plantBroken: true });
  const ports = { data: await freePort(), events: await freePort(), checkpoints: await freePort() };
  const size = ['--image-size', String(a['image-size']), '--batch-size', String(a['batch-size'])];
  const env = { PAWPIPE_CACHE_DIR: path.join(root, 'cache') };
  const node = process.execPath;
  const trainer = new Supervised('trainer', () => [node, MAIN('trainer'), '--run-dir', runDir, '--epochs', String(a.epochs), ...size, '--backend', 'wasm',
    '--data-port', String(ports.data), '--events-port', String(ports.events), '--checkpoint-port', String(ports.checkpoints)], env);
  const loaderIds = ['L1', 'L2'];
  const loaders = loaderIds.map((id) => new Supervised(`loader ${id}`, () => [node, MAIN('loader'), '--data-dir', dataDir, ...size,
    '--trainer', `tcp://127.0.0.1:${ports.data}`, '--loader-id', id], env));
  const evaluator = new Supervised('evaluator', () => [node, MAIN('evaluator'), '--run-dir', runDir, '--data-dir', dataDir,
    '--events', `tcp://127.0.0.1:${ports.events}`, '--checkpoints', `tcp://127.0.0.1:${ports.checkpoints}`, '--backend', 'wasm', '--poll-ms', '1000'], env);
  const all = [trainer, ...loaders, evaluator];
  for (const p of all) p.start();
  const hostile = new HostilePeer(`tcp://127.0.0.1:${ports.data}`, a['hostile-rate']);
  hostile.start();

  const checkpointTimes = new Map<number, number>();
  const kills: Array<{ at: number; role: string }> = [];
  const unexpected: string[] = [];
  const deadline = t0 + a['max-minutes'] * 60_000;
  let nextKill = Date.now() + (a['kill-min-s'] + random() * (a['kill-max-s'] - a['kill-min-s'])) * 1000;
  let trainerDone = false;
  let timedOut = false;
  for (;;) {
    const now = Date.now();
    for (const p of all) p.sample(now);
    try {
      for (const n of readdirSync(path.join(runDir, 'checkpoints'))) {
        const m = /^save_at_(\d+)$/.exec(n);
        if (m && !checkpointTimes.has(Number(m[1]))) checkpointTimes.set(Number(m[1]), now);
      }
    } catch { /* not there yet */ }
    const tl = trainer.lives[trainer.lives.length - 1];
    if (tl && tl.endedAt !== null && !tl.killed) {
      if (tl.exitCode === 0) trainerDone = true;
      else {
        unexpected.push(`trainer life ${tl.n} exited ${tl.exitCode}: ${tl.stderrTail.trim().split('\n').slice(-2).join(' | ')}`);
        trainer.start();
      }
    }
    if (trainerDone) break;
    // A loader or the evaluator that failed while training goes on is noted and restarted. Exit 0
    // is theirs to give once they heard DONE (they may see it before the trainer's exit is seen here).
    for (const p of [...loaders, evaluator]) {
      const l = p.lives[p.lives.length - 1];
      if (l && l.endedAt !== null && !l.killed && l.exitCode !== 0) {
        unexpected.push(`${p.role} life ${l.n} exited ${l.exitCode}: ${l.stderrTail.trim().split('\n').slice(-2).join(' | ')}`);
        p.start();
      }
    }
    if (now > deadline) { timedOut = true; break; }
    if (now >= nextKill) {
      const victim = all[Math.floor(random() * all.length)] as Supervised;
      if (victim.current) {
        await victim.kill9();
        kills.push({ at: Date.now() - t0, role: victim.role });
        log(`${((Date.now() - t0) / 1000).toFixed(0)}s: kill -9 ${victim.role} (life ${victim.lives.length}), restarting; checkpoints so far ${checkpointTimes.size}/${a.epochs}`);
        victim.start();
      }
      nextKill = Date.now() + (a['kill-min-s'] + random() * (a['kill-max-s'] - a['kill-min-s'])) * 1000;
    }
    await sleep(500);
  }
  // The run is over: the evaluator scores the last checkpoint and exits. Loaders exit on DONE; one
  // restarted by the soak just as the trainer finished may miss it and wait for a trainer that is
  // gone (as it would in real life): that is noted, and it is stopped with SIGTERM.
  const notes: string[] = [];
  const waitUntil = Math.min(deadline + 30_000, Date.now() + 120_000);
  const loadersUntil = Date.now() + 15_000;
  while (!timedOut && [...loaders, evaluator].some((p) => p.current) && Date.now() < waitUntil) {
    for (const p of all) p.sample(Date.now());
    if (Date.now() > loadersUntil) {
      for (const p of loaders) {
        if (!p.current) continue;
        notes.push(`${p.role} life ${p.lives.length} was still waiting 15 s after the trainer finished (restarted too late to hear DONE): SIGTERM`);
        p.terminate();
      }
    }
    await sleep(500);
  }
  for (const p of [...loaders, evaluator]) {
    if (p.current) {
      unexpected.push(`${p.role} still running after the run ended: killed`);
      await p.kill9();
    } else {
      const l = p.lives[p.lives.length - 1];
      if (l && !l.killed && !l.terminated && l.exitCode !== 0) unexpected.push(`${p.role} life ${l.n} exited ${l.exitCode} at the end`);
    }
  }
  if (timedOut) for (const p of all) await p.kill9();
  await hostile.stop();
  const wallS = (Date.now() - t0) / 1000;
  // The samples behind the memory verdicts, for a closer look (kept with --keep or on failure).
  writeFileSync(path.join(root, 'rss.jsonl'), all.flatMap((p) => p.lives.map((l) => JSON.stringify({ role: l.role, life: l.n, startedAt: l.startedAt - t0, endedAt: (l.endedAt ?? 0) - t0, rss: l.rss.map(([t, r]) => [t - t0, Math.round(r / MiB)]) }))).join('\n') + '\n');
  writeFileSync(path.join(root, 'checkpoint-times.json'), JSON.stringify([...checkpointTimes].map(([e, t]) => [e, t - t0])));

  await initBackend('cpu');
  const checks: Check[] = await endChecks(runDir, a.epochs, trainerDone ? 0 : trainer.lives[trainer.lives.length - 1]?.exitCode ?? null, loaderIds);
  const times = [...checkpointTimes.values()];
  const verdicts: RssVerdict[] = all.flatMap((p) => p.lives.map((l) => rssVerdict(l, times)));
  const badRss = verdicts.filter((v) => v.ok === false);
  const judged = verdicts.filter((v) => v.ok !== null);
  checks.push({ name: 'peak RSS flat after the first epoch', ok: badRss.length === 0 && judged.length > 0,
    detail: `${judged.length} of ${verdicts.length} lives long enough to judge (3+ checkpoints); ${badRss.length} kept growing (late half > early half x${RSS_SLACK.ratio} + ${RSS_SLACK.bytes / MiB} MiB)` });
  checks.push({ name: 'no unexpected exits', ok: unexpected.length === 0 && !timedOut, detail: timedOut ? `gave up after ${a['max-minutes']} min` : unexpected.length ? unexpected.slice(0, 3).join('; ') : 'every exit was a kill or the end of the run' });

  // ---- summary ----
  const out: string[] = [];
  const mib = (b: number | null) => (b === null ? '-' : `${(b / MiB).toFixed(0)} MiB`);
  out.push('', `pawpipe soak: ${a.epochs} epochs, wall time ${wallS.toFixed(0)} s, seed ${seed}`, '');
  out.push('process        lives  kill -9  peak RSS   peak RSS per judged life: 1st epoch / rest, early half -> late half');
  for (const p of all) {
    const vs = verdicts.filter((v) => v.life.role === p.role);
    const peak = Math.max(0, ...p.lives.flatMap((l) => l.rss.map(([, r]) => r)));
    const judgedText = vs.filter((v) => v.ok !== null).map((v) => `${mib(v.firstEpochPeak)} / ${mib(v.earlyPeak)}->${mib(v.latePeak)}${v.ok ? '' : ' GREW'}`).join(', ') || 'no life long enough';
    out.push(`${p.role.padEnd(14)} ${String(p.lives.length).padStart(5)}  ${String(kills.filter((k) => k.role === p.role).length).padStart(7)}  ${mib(peak).padStart(8)}   ${judgedText}`);
  }
  out.push('', `kills survived: ${kills.length}; hostile peer: ${hostile.sent} malformed messages sent over ${hostile.connections} connections, ${hostile.answered} answered "malformed", the rest dropped unread (muted), none trained on`, '');
  for (const n of notes) out.push(`note: ${n}`);
  if (notes.length) out.push('');
  out.push('check                                   result  detail');
  for (const c of checks) out.push(`${c.name.padEnd(40)}${(c.ok ? 'ok' : 'FAIL').padEnd(8)}${c.detail}`);
  const ok = checks.every((c) => c.ok);
  out.push('', ok ? 'soak passed' : 'soak FAILED', '');
  process.stdout.write(out.join('\n'));
  if (a.keep || !ok) log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`soak: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
