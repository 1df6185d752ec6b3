import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import '@pawpipe/model'; // registers RandomFlip/RandomRotation for loading Option-1 checkpoints
import { initBackend } from '@pawpipe/tf-backend';
import { auditRun, latestCheckpoint, loadCheckpoint } from '@pawpipe/trainer';
import { freePort, jsonl, kill9, killAll, start, waitFor } from './procs';
import type { Proc } from './procs';

// End to end through real processes and real ZeroMQ sockets, on tiny images (16x16) and a tiny
// demo set, so the whole file stays within a couple of minutes on 2 shared cores.

// Real processes on a shared 2-core machine: generous per-test limits (a hang still fails).
jest.setTimeout(180_000);

let root: string;
let dataDir: string;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'pawpipe-e2e-cache-'));

beforeAll(async () => {
  await initBackend('wasm');
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-e2e-'));
  dataDir = path.join(root, 'data');
  await generateDemoData({ outDir: dataDir, perClass: 24, seed: 7, plantBroken: true });
}, 120_000);
afterEach(killAll);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

interface Consumed { type?: string; runId: string; attempt?: string; epoch: number; index: number; from: string }

/** The batch lines of consumed.jsonl (it also records each attempt's start and checkpoints). */
function consumedBatches(file: string): Consumed[] {
  return jsonl<Consumed>(file).filter((l) => l.type === undefined || l.type === 'batch');
}
interface Ports { data: number; events: number; checkpoints: number }

const env = { PAWPIPE_CACHE_DIR: cacheDir };
const SIZE = ['--image-size', '16', '--batch-size', '4'];

async function ports(): Promise<Ports> {
  return { data: await freePort(), events: await freePort(), checkpoints: await freePort() };
}

function trainer(runDir: string, p: Ports, epochs: number, extra: string[] = []): Proc {
  return start('trainer', ['--run-dir', runDir, '--epochs', String(epochs), ...SIZE, '--backend', 'wasm', '--data-port', String(p.data),
    '--events-port', String(p.events), '--checkpoint-port', String(p.checkpoints), '--heartbeat-ms', '200', '--done-grace-ms', '300', ...extra], env);
}
function loader(p: Ports, id: string, extra: string[] = []): Proc {
  return start('loader', ['--data-dir', dataDir, ...SIZE, '--trainer', `tcp://127.0.0.1:${p.data}`, '--loader-id', id, '--heartbeat-ms', '200', ...extra], env);
}
function evaluator(runDir: string, p: Ports, extra: string[] = []): Proc {
  return start('evaluator', ['--run-dir', runDir, '--data-dir', dataDir, '--events', `tcp://127.0.0.1:${p.events}`, '--checkpoints', `tcp://127.0.0.1:${p.checkpoints}`, '--backend', 'wasm', '--batch-size', '8', '--poll-ms', '300', ...extra], env);
}

/** Every (epoch, index) of the given epochs exactly once, in order. */
function expectEachBatchOnce(consumed: Consumed[], epochs: number[], numBatches: number): void {
  const want = epochs.flatMap((e) => Array.from({ length: numBatches }, (_, i) => `${e}:${i}`));
  expect(consumed.map((c) => `${c.epoch}:${c.index}`)).toEqual(want);
}

async function exitCode(p: Proc, what: string): Promise<number | null> {
  const code = await p.exited;
  if (code !== 0) process.stderr.write(`${what} exited ${code}\n--- stderr ---\n${p.err()}\n`);
  return code;
}

function numBatchesOf(p: Proc): number {
  const m = /(\d+) batches\/epoch/.exec(p.err());
  if (!m) throw new Error(`no batch count in: ${p.err()}`);
  return Number(m[1]);
}

test('two loaders, a trainer and an evaluator: batches in order, a checkpoint per epoch, each scored once', async () => {
  const runDir = path.join(root, 'run-e2e');
  const p = await ports();
  // The evaluator starts first and the trainer last: each waits for the others.
  const ev = evaluator(runDir, p, ['--wasm-threads', '2']);
  // Option 1 of the tutorial: augmentation inside the model (the loaders send plain batches).
  const l1 = loader(p, 'L1', ['--augment', 'model']);
  const l2 = loader(p, 'L2', ['--augment', 'model']);
  // wasm's threaded build, in a real process that must still exit by itself at the end
  const tr = trainer(runDir, p, 2, ['--wasm-threads', '2']);
  expect(await exitCode(tr, 'trainer')).toBe(0);
  expect(tr.err()).toMatch(/backend: wasm \(tfjs-backend-wasm \(threaded SIMD, 2 threads\)/);
  expect(await exitCode(l1, 'loader 1')).toBe(0);
  expect(await exitCode(l2, 'loader 2')).toBe(0);
  expect(await exitCode(ev, 'evaluator')).toBe(0);
  expect(ev.err()).toMatch(/backend: wasm \(tfjs-backend-wasm \(threaded SIMD, 2 threads\)/);

  const consumed = consumedBatches(path.join(runDir, 'consumed.jsonl'));
  const n = numBatchesOf(tr);
  expectEachBatchOnce(consumed, [0, 1], n);
  expect(new Set(consumed.map((c) => c.from))).toEqual(new Set(['L1', 'L2']));
  expect(readdirSync(path.join(runDir, 'checkpoints')).sort()).toEqual(['save_at_1', 'save_at_2']);
  const scored = jsonl<{ epoch: number; val_accuracy: number }>(path.join(runDir, 'eval.jsonl'));
  expect(scored.map((s) => s.epoch)).toEqual([1, 2]);
  expect(ev.err()).not.toMatch(/fetched save_at_/); // same folder as the trainer: nothing moved over the network
  for (const f of ['curves.png', 'confusion-matrix.png', 'confusion-matrix.txt', 'report.md', 'best/meta.json', 'history.jsonl', 'model.png', 'model-summary.txt']) {
    expect(existsSync(path.join(runDir, f))).toBe(true);
  }
  expect(tr.out()).toMatch(/Epoch 2\/2\n/);
  const last = await loadCheckpoint(path.join(runDir, 'checkpoints', 'save_at_2'));
  expect(last.meta.augmentation).toEqual({ placement: 'model', flip: 'horizontal', rotation: 0.1 });
  expect(last.model.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(['RandomFlip', 'RandomRotation']));
  last.model.dispose();
});

test('kill -9 the trainer after a checkpoint: the restart resumes at the next epoch; a late evaluator scores all three once', async () => {
  const runDir = path.join(root, 'run-resume');
  const p = await ports();
  const l = loader(p, 'L1');
  const first = trainer(runDir, p, 3);
  await waitFor('save_at_1', () => existsSync(path.join(runDir, 'checkpoints', 'save_at_1', 'meta.json')));
  await kill9(first);
  const before = consumedBatches(path.join(runDir, 'consumed.jsonl'));
  const second = trainer(runDir, p, 3);
  expect(await exitCode(second, 'restarted trainer')).toBe(0);
  expect(await exitCode(l, 'loader')).toBe(0);
  expect(second.err()).toMatch(/resuming run \S+ from .*save_at_\d+ \(epoch \d\/3 done\)/);
  const resumedAt = Number(/\(epoch (\d)\/3 done\)/.exec(second.err())?.[1]);
  const after = consumedBatches(path.join(runDir, 'consumed.jsonl')).slice(before.length);
  // The restarted trainer trained exactly the epochs after its checkpoint, every batch once, in order.
  expectEachBatchOnce(after, Array.from({ length: 3 - resumedAt }, (_, i) => resumedAt + i), numBatchesOf(second));
  expect(new Set(consumedBatches(path.join(runDir, 'consumed.jsonl')).map((c) => c.runId)).size).toBe(1);
  const metas = await Promise.all([1, 2, 3].map(async (e) => (await loadCheckpoint(path.join(runDir, 'checkpoints', `save_at_${e}`))).meta));
  expect(metas.map((m) => m.epoch)).toEqual([1, 2, 3]);
  expect(new Set(metas.map((m) => m.runId)).size).toBe(1);
  // The audit proves each epoch of the saved weights saw each batch once, across the two attempts.
  const audit = await auditRun(runDir);
  expect(audit.problems).toEqual([]);
  expect(audit.ok).toBe(true);
  expect(audit.epochs.map((e) => e.batches)).toEqual([1, 2, 3].map(() => numBatchesOf(second)));
  expect(new Set(audit.epochs.map((e) => e.attempt)).size).toBe(2);
  expect(audit.epochs[0]?.attempt).not.toBe(audit.epochs[2]?.attempt);

  // An evaluator started after the three checkpoints catches up from the folder, then exits.
  const late = evaluator(runDir, p);
  expect(await exitCode(late, 'late evaluator')).toBe(0);
  expect(jsonl<{ epoch: number }>(path.join(runDir, 'eval.jsonl')).map((r) => r.epoch)).toEqual([1, 2, 3]);
  // Restarted, it scores nothing twice.
  const again = evaluator(runDir, p);
  expect(await exitCode(again, 'second evaluator')).toBe(0);
  expect(jsonl<{ epoch: number }>(path.join(runDir, 'eval.jsonl')).map((r) => r.epoch)).toEqual([1, 2, 3]);
});

test('kill -9 the trainer while it saves: the previous checkpoint still loads and the restart goes on from it', async () => {
  const runDir = path.join(root, 'run-save-crash');
  const ckDir = path.join(runDir, 'checkpoints');
  const p = await ports();
  const l = loader(p, 'L1');
  const first = trainer(runDir, p, 3, ['--checkpoint-write-delay-ms', '1500']);
  const tmp = await waitFor('a checkpoint being written after save_at_1', () => existsSync(path.join(ckDir, 'save_at_1'))
    && readdirSync(ckDir).find((n) => n.startsWith('.save_at_2.tmp-')));
  await kill9(first);
  expect(readdirSync(ckDir)).toContain(tmp);
  expect(existsSync(path.join(ckDir, 'save_at_2'))).toBe(false);
  const latest = await latestCheckpoint(ckDir);
  expect(latest?.epoch).toBe(1);
  const loaded = await loadCheckpoint(latest?.dir as string, { optimizer: true });
  expect(loaded.meta.epoch).toBe(1);
  expect(loaded.optimizer?.weights.length).toBeGreaterThan(1);
  loaded.model.dispose();

  const second = trainer(runDir, p, 3);
  expect(await exitCode(second, 'restarted trainer')).toBe(0);
  expect(await exitCode(l, 'loader')).toBe(0);
  expect(second.err()).toMatch(/removed the unfinished checkpoint \.save_at_2\.tmp-/);
  expect(second.err()).toMatch(/\(epoch 1\/3 done\)/);
  expect(readdirSync(ckDir).sort()).toEqual(['save_at_1', 'save_at_2', 'save_at_3']);
});

test('kill -9 a loader mid-epoch and restart it: no batch lost, none used twice', async () => {
  const runDir = path.join(root, 'run-loader-crash');
  const p = await ports();
  const tr = trainer(runDir, p, 2);
  const consumedFile = path.join(runDir, 'consumed.jsonl');
  const first = loader(p, 'L1', ['--window', '3']);
  await waitFor('two batches of epoch 1 consumed', () => consumedBatches(consumedFile).length >= 2);
  await kill9(first);
  const killedAt = consumedBatches(consumedFile).length;
  const second = loader(p, 'L1', ['--window', '3']);
  expect(await exitCode(tr, 'trainer')).toBe(0);
  expect(await exitCode(second, 'restarted loader')).toBe(0);
  const consumed = consumedBatches(consumedFile);
  const n = numBatchesOf(tr);
  expect(killedAt).toBeLessThan(n); // the kill was mid-epoch
  expectEachBatchOnce(consumed, [0, 1], n);
  // The killed loader's work went back in the queue: either its silence was timed out first (the
  // broker thread times it during training steps) or the restarted one's HELLO replaced it.
  expect(tr.err()).toMatch(/loader L1 (restarted \(incarnation [^)]+\)|missed 5 heartbeats); \d+ outstanding batch\(es\) back in the queue/);
  expect(tr.err().match(/loader L1 joined/g)).toHaveLength(2);
});

test('SIGTERM/SIGINT: trainer and loader close their sockets and exit promptly with 143/130', async () => {
  const runDir = path.join(root, 'run-signals');
  const p = await ports();
  const tr = trainer(runDir, p, 2);
  const l = loader(p, 'L1');
  await waitFor('a consumed batch', () => consumedBatches(path.join(runDir, 'consumed.jsonl')).length >= 1);
  process.kill(tr.pid, 'SIGTERM');
  expect(await tr.exited).toBe(143);
  expect(tr.err()).toMatch(/SIGTERM: closing sockets/);
  process.kill(l.pid, 'SIGINT');
  expect(await l.exited).toBe(130);
  expect(readdirSync(path.join(runDir, 'checkpoints')).filter((n) => n.includes('.tmp-'))).toEqual([]);
});

test('a bad --wasm-threads is one line naming the flag, exit 2', async () => {
  const tr = start('trainer', ['--run-dir', path.join(root, 'run-bad-threads'), '--wasm-threads', '0'], env);
  const ev = start('evaluator', ['--run-dir', path.join(root, 'run-bad-threads'), '--wasm-threads', '9'], env);
  expect(await tr.exited).toBe(2);
  expect(tr.err()).toBe('pawpipe-trainer: --wasm-threads must be an integer from 1 to 8 (see --help)\n');
  expect(await ev.exited).toBe(2);
  expect(ev.err()).toBe('pawpipe-evaluator: --wasm-threads must be an integer from 1 to 8 (see --help)\n');
});
