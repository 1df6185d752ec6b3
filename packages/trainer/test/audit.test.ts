import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { auditRun } from '../src';

// The audit on run folders written the way the trainer writes them: consumed.jsonl plus
// checkpoints whose meta.json names the attempt that saved them.

let runDir: string;
beforeEach(() => { runDir = mkdtempSync(path.join(tmpdir(), 'pawpipe-audit-')); });
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

const N = 4; // batches per epoch

function line(v: object): void {
  appendFileSync(path.join(runDir, 'consumed.jsonl'), `${JSON.stringify(v)}\n`);
}
function start(attempt: string, resumedFrom: number): void {
  line({ type: 'attempt', runId: 'r', attempt, resumedFrom, numBatches: N, epochs: 3, startedAt: '2026-12-01T00:00:00Z' });
}
function batches(attempt: string, epoch0: number, indices: number[] = [0, 1, 2, 3]): void {
  for (const index of indices) line({ type: 'batch', runId: 'r', attempt, epoch: epoch0, index, n: 8, from: 'L1' });
}
function checkpoint(attempt: string | undefined, epoch: number, logged = true): void {
  const dir = path.join(runDir, 'checkpoints', `save_at_${epoch}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.json'), '{}');
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ format: 'pawpipe-checkpoint', runId: 'r', epoch, ...(attempt ? { attempt } : {}) }));
  if (logged && attempt) line({ type: 'checkpoint', runId: 'r', attempt, epoch, dir: `save_at_${epoch}` });
}

test('a run killed mid-epoch and resumed is clean: the killed attempt\'s batches are named, not counted', async () => {
  start('A', 0);
  batches('A', 0);
  checkpoint('A', 1);
  batches('A', 1, [0, 1]); // kill -9 here, mid-epoch 2
  appendFileSync(path.join(runDir, 'consumed.jsonl'), '{"type":"batch","runId":"r","att'); // torn by the kill
  appendFileSync(path.join(runDir, 'consumed.jsonl'), '\n');
  start('B', 1);
  batches('B', 1);
  checkpoint('B', 2, false); // killed after the rename, before the log line: meta.json is enough
  batches('B', 2);
  checkpoint('B', 3);
  const r = await auditRun(runDir);
  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.epochs).toEqual([
    { epoch: 1, attempt: 'A', batches: 4, ok: true },
    { epoch: 2, attempt: 'B', batches: 4, ok: true },
    { epoch: 3, attempt: 'B', batches: 4, ok: true },
  ]);
  expect(r.notes.join('\n')).toMatch(/attempt A consumed 2 batch\(es\) of epoch 2 that no checkpoint kept/);
  expect(r.notes.join('\n')).toMatch(/line \d+ is torn/);
});

test('a batch consumed twice or never, within the attempt that saved the epoch, is named', async () => {
  start('A', 0);
  batches('A', 0, [0, 1, 1, 3]);
  checkpoint('A', 1);
  const r = await auditRun(runDir);
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual([
    'epoch 1 (attempt A): index(es) 2 never consumed',
    'epoch 1 (attempt A): index(es) 1 consumed more than once',
  ]);
});

test('a checkpoint whose attempt did not descend from the previous checkpoint is named', async () => {
  start('A', 0);
  batches('A', 0);
  checkpoint('A', 1);
  // B claims it started fresh yet saved epoch 2: its weights skipped save_at_1.
  start('B', 0);
  batches('B', 1);
  checkpoint('B', 2);
  const r = await auditRun(runDir);
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual(['save_at_2: attempt B did not save save_at_1 (attempt A did), so its weights skipped that checkpoint']);
});

test('runs without attempt ids, and runs without checkpoints, are not called clean', async () => {
  line({ runId: 'r', epoch: 0, index: 0, n: 8 });
  checkpoint(undefined, 1);
  const old = await auditRun(runDir);
  expect(old.ok).toBe(false);
  expect(old.problems).toEqual([
    '1 batch line(s) carry no attempt id (written before attempts were recorded): they cannot be audited',
    'save_at_1 names no attempt (its meta.json has no "attempt")',
  ]);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir);
  const empty = await auditRun(runDir);
  expect(empty.ok).toBe(false);
  expect(empty.problems).toEqual(['no checkpoint yet: nothing to audit']);
});
