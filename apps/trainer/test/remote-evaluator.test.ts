import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import { freePort, jsonl, kill9, killAll, start, waitFor } from './procs';
import type { Proc } from './procs';

// A trainer and an evaluator with two different run folders on one machine stand in for two
// machines: the evaluator's folder (B) only fills through the checkpoint channel. Real processes,
// real sockets, 16x16 images.

jest.setTimeout(180_000);

let root: string;
let dataDir: string;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'pawpipe-remote-cache-'));

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-remote-'));
  dataDir = path.join(root, 'data');
  await generateDemoData({ outDir: dataDir, perClass: 20, seed: 5, plantBroken: false });
}, 120_000);
afterEach(killAll);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

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
function loader(p: Ports): Proc {
  return start('loader', ['--data-dir', dataDir, ...SIZE, '--trainer', `tcp://127.0.0.1:${p.data}`, '--loader-id', 'L1', '--heartbeat-ms', '200'], env);
}
/** Joined to the trainer by its endpoints only (the ports are fresh, so both are given). */
function evaluator(runDir: string, p: Ports): Proc {
  return start('evaluator', ['--run-dir', runDir, '--data-dir', dataDir, '--events', `tcp://127.0.0.1:${p.events}`, '--checkpoints', `tcp://127.0.0.1:${p.checkpoints}`,
    '--backend', 'wasm', '--batch-size', '8', '--poll-ms', '300', '--fetch-timeout-ms', '1000'], env);
}

async function exitCode(p: Proc, what: string): Promise<number | null> {
  const code = await p.exited;
  if (code !== 0) process.stderr.write(`${what} exited ${code}\n--- stderr ---\n${p.err()}\n`);
  return code;
}

const fetchedEpochs = (...ps: Proc[]) => ps.flatMap((p) => [...p.err().matchAll(/fetched save_at_(\d+) from /g)].map((m) => Number(m[1])));
const MODEL_FILES = ['group1-shard1of1.bin', 'meta.json', 'model.json'];

function expectSameModelFiles(a: string, b: string): void {
  expect(readdirSync(b).sort()).toEqual(MODEL_FILES); // the optimizer state is not needed to score
  for (const f of MODEL_FILES) expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f)))).toBe(true);
}

test('separate run folders joined by endpoints: every checkpoint is fetched and scored once; B gets eval.jsonl, best/ and the figures', async () => {
  const A = path.join(root, 'A');
  const B = path.join(root, 'B');
  const p = await ports();
  const ev = evaluator(B, p);
  const l = loader(p);
  const tr = trainer(A, p, 2);
  expect(await exitCode(tr, 'trainer')).toBe(0);
  expect(await exitCode(l, 'loader')).toBe(0);
  expect(await exitCode(ev, 'evaluator')).toBe(0);

  expect(fetchedEpochs(ev)).toEqual([1, 2]);
  expect(jsonl<{ epoch: number }>(path.join(B, 'eval.jsonl')).map((r) => r.epoch)).toEqual([1, 2]);
  for (const e of [1, 2]) expectSameModelFiles(path.join(A, 'checkpoints', `save_at_${e}`), path.join(B, 'checkpoints', `save_at_${e}`));
  for (const f of ['best/meta.json', 'best.json', 'curves.png', 'confusion-matrix.png', 'confusion-matrix.txt', 'report.md']) {
    expect(existsSync(path.join(B, f))).toBe(true);
    expect(existsSync(path.join(A, f))).toBe(false);
  }
  expect(readdirSync(path.join(B, 'checkpoints')).sort()).toEqual(['save_at_1', 'save_at_2']); // no temporaries
  expect(tr.err()).toMatch(/serving checkpoints on tcp:\/\/127\.0\.0\.1:\d+/);
});

test('kill -9 the evaluator, then the trainer: each restart picks up where it was; a late evaluator catches up at once; every epoch fetched once and scored once', async () => {
  const A = path.join(root, 'A2');
  const B = path.join(root, 'B2');
  const C = path.join(root, 'C2');
  const p = await ports();
  const first = evaluator(B, p);
  const l1 = loader(p);
  // Slow saves (1.5 s between a checkpoint's files) keep the trainer busy while the evaluator is killed.
  const t1 = trainer(A, p, 3, ['--checkpoint-write-delay-ms', '1500']);
  await waitFor('epoch 1 scored in B', () => jsonl(path.join(B, 'eval.jsonl')).length >= 1);
  await kill9(first);
  const second = evaluator(B, p);
  await waitFor('save_at_2 in A', () => existsSync(path.join(A, 'checkpoints', 'save_at_2', 'meta.json')));
  await kill9(t1);
  await kill9(l1);
  // The restarted trainer has no loader yet: it cannot train epoch 3 while a late evaluator with an
  // empty run folder (C) starts; C must catch up on epochs 1 and 2 from the listing, not wait for an event.
  const t2 = trainer(A, p, 3);
  const late = evaluator(C, p);
  await waitFor('the late evaluator fetched save_at_1 and save_at_2', () => fetchedEpochs(late).length >= 2);
  expect(fetchedEpochs(late)).toEqual([1, 2]);
  expect(existsSync(path.join(A, 'checkpoints', 'save_at_3'))).toBe(false);
  const l2 = loader(p);
  expect(await exitCode(t2, 'restarted trainer')).toBe(0);
  expect(await exitCode(l2, 'loader')).toBe(0);
  expect(await exitCode(second, 'restarted evaluator')).toBe(0);
  expect(await exitCode(late, 'late evaluator')).toBe(0);

  expect(t2.err()).toMatch(/resuming run \S+ from .*save_at_2 \(epoch 2\/3 done\)/);
  expect(second.err()).toMatch(/already scored: epochs 1/);
  expect(late.err()).toMatch(/following run \S+ of tcp:\/\/127\.0\.0\.1:\d+ \(checkpoints 1, 2\)/);
  expect(fetchedEpochs(first, second).sort()).toEqual([1, 2, 3]);
  expect(fetchedEpochs(late)).toEqual([1, 2, 3]);
  for (const dir of [B, C]) {
    expect(jsonl<{ epoch: number }>(path.join(dir, 'eval.jsonl')).map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const e of [1, 2, 3]) expectSameModelFiles(path.join(A, 'checkpoints', `save_at_${e}`), path.join(dir, 'checkpoints', `save_at_${e}`));
    expect(existsSync(path.join(dir, 'best', 'meta.json'))).toBe(true);
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(/\| 3 \|/);
  }
});

test('a bad --checkpoints or --checkpoint-port is one line naming the flag, exit 2', async () => {
  const ev = start('evaluator', ['--run-dir', path.join(root, 'bad'), '--checkpoints', 'trainer-host:5557'], env);
  const tr = start('trainer', ['--run-dir', path.join(root, 'bad'), '--checkpoint-port', '0'], env);
  expect(await ev.exited).toBe(2);
  expect(ev.err()).toBe('pawpipe-evaluator: --checkpoints must look like tcp://HOST:PORT (see --help)\n');
  expect(await tr.exited).toBe(2);
  expect(tr.err()).toBe('pawpipe-trainer: --checkpoint-port must be a positive integer (see --help)\n');
});
