import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// `pawpipe audit RUN` as a user runs it: the built CLI on a run folder.
const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
let runDir: string;
beforeEach(() => { runDir = mkdtempSync(path.join(tmpdir(), 'pawpipe-audit-cmd-')); });
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function line(v: object): void {
  appendFileSync(path.join(runDir, 'consumed.jsonl'), `${JSON.stringify(v)}\n`);
}
function checkpoint(attempt: string, epoch: number): void {
  const dir = path.join(runDir, 'checkpoints', `save_at_${epoch}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.json'), '{}');
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ format: 'pawpipe-checkpoint', runId: 'r', epoch, attempt }));
}

test('a clean run: exit 0 and a table naming the attempt of each epoch', () => {
  line({ type: 'attempt', runId: 'r', attempt: 'A', resumedFrom: 0, numBatches: 2, epochs: 1, startedAt: '' });
  for (const index of [0, 1]) line({ type: 'batch', runId: 'r', attempt: 'A', epoch: 0, index, n: 4 });
  checkpoint('A', 1);
  const r = cli(['audit', runDir]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/clean: each of the 1 epoch\(s\) of save_at_1 consumed each batch exactly once/);
  expect(r.out).toMatch(/^\s+1\s+A\s+2\s+ok$/m);
});

test('a batch used twice: exit 4 and the problem named', () => {
  line({ type: 'attempt', runId: 'r', attempt: 'A', resumedFrom: 0, numBatches: 2, epochs: 1, startedAt: '' });
  for (const index of [0, 0, 1]) line({ type: 'batch', runId: 'r', attempt: 'A', epoch: 0, index, n: 4 });
  checkpoint('A', 1);
  const r = cli(['audit', runDir, '--json']);
  expect(r.code).toBe(4);
  expect(JSON.parse(r.out).problems).toEqual(['epoch 1 (attempt A): index(es) 0 consumed more than once']);
});

test('not a run folder: one line naming it, exit 2', () => {
  const r = cli(['audit', path.join(runDir, 'nope')]);
  expect(r.code).toBe(2);
  expect(r.err).toBe(`pawpipe: ${path.join(runDir, 'nope')} has no consumed.jsonl: give a run folder the trainer wrote (--run-dir)\n`);
});
