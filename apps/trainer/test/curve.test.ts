import { mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import { writeKeyPair } from '@pawpipe/protocol';
import { auditRun } from '@pawpipe/trainer';
import { freePort, jsonl, killAll, start } from './procs';

// CURVE end to end: real processes, real keys. Only the authorized loader and evaluator get in.
jest.setTimeout(180_000);

let root: string;
let dataDir: string;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'pawpipe-curve-cache-'));
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-curve-e2e-'));
  dataDir = path.join(root, 'data');
  await generateDemoData({ outDir: dataDir, perClass: 12, seed: 7, plantBroken: false });
}, 120_000);
afterEach(killAll);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

const env = { PAWPIPE_CACHE_DIR: cacheDir };
const SIZE = ['--image-size', '16', '--batch-size', '4'];

test('a non-loopback --listen without --keys refuses to start with one line (exit 2), unless --insecure', async () => {
  const tr = start('trainer', ['--run-dir', path.join(root, 'run-open'), '--listen', '0.0.0.0'], env);
  expect(await tr.exited).toBe(2);
  expect(tr.err()).toBe('pawpipe-trainer: --listen 0.0.0.0 lets anyone who reaches the port feed batches and read events: give --keys DIR (pawpipe keys --out DIR makes one) or --insecure (see --help)\n');
  // --insecure lifts the refusal (shown without binding beyond loopback: the next check, on --epochs, speaks instead).
  const insecure = start('trainer', ['--run-dir', path.join(root, 'run-open'), '--listen', '0.0.0.0', '--insecure', '--epochs', '0'], env);
  expect(await insecure.exited).toBe(2);
  expect(insecure.err()).toBe('pawpipe-trainer: --epochs must be a positive integer (see --help)\n');
  const keysMissing = start('trainer', ['--run-dir', path.join(root, 'run-open'), '--listen', '0.0.0.0', '--keys', path.join(root, 'no-keys')], env);
  expect(await keysMissing.exited).toBe(2);
  expect(keysMissing.err()).toMatch(/^trainer: cannot read the keys folder .*no-keys.*\(pawpipe keys --out .* makes one\)\n$/);
  const loaderAlone = start('loader', ['--data-dir', dataDir, '--keys', path.join(root, 'k')], env);
  expect(await loaderAlone.exited).toBe(2);
  expect(loaderAlone.err()).toContain('--keys needs --trainer-key');
});

test('with --keys: the authorized loader and evaluator run the job; a loader with other keys is never admitted', async () => {
  const keys = path.join(root, 'keys');
  await writeKeyPair(path.join(keys, 'trainer'), 'trainer');
  await writeKeyPair(path.join(keys, 'loader'), 'loader');
  await writeKeyPair(path.join(keys, 'evaluator'), 'evaluator');
  await writeKeyPair(path.join(keys, 'stranger'), 'stranger');
  mkdirSync(path.join(keys, 'trainer', 'authorized'));
  for (const who of ['loader', 'evaluator']) copyFileSync(path.join(keys, who, `${who}.key`), path.join(keys, 'trainer', 'authorized', `${who}.key`));
  const trainerKey = path.join(keys, 'trainer', 'trainer.key');
  const runDir = path.join(root, 'run-curve');
  const p = { data: await freePort(), events: await freePort(), checkpoints: await freePort() };
  const client = (who: string) => ['--trainer-key', trainerKey, '--keys', path.join(keys, who)];

  const stranger = start('loader', ['--data-dir', dataDir, ...SIZE, '--trainer', `tcp://127.0.0.1:${p.data}`, '--loader-id', 'S', ...client('stranger')], env);
  const plain = start('loader', ['--data-dir', dataDir, ...SIZE, '--trainer', `tcp://127.0.0.1:${p.data}`, '--loader-id', 'P'], env);
  const tr = start('trainer', ['--run-dir', runDir, '--epochs', '2', ...SIZE, '--backend', 'wasm', '--data-port', String(p.data), '--events-port', String(p.events),
    '--checkpoint-port', String(p.checkpoints), '--heartbeat-ms', '200', '--done-grace-ms', '300', '--keys', path.join(keys, 'trainer')], env);
  const ev = start('evaluator', ['--run-dir', runDir, '--data-dir', dataDir, '--events', `tcp://127.0.0.1:${p.events}`, '--checkpoints', `tcp://127.0.0.1:${p.checkpoints}`, '--backend', 'wasm', '--batch-size', '8', '--poll-ms', '300', ...client('evaluator')], env);
  const good = start('loader', ['--data-dir', dataDir, ...SIZE, '--trainer', `tcp://127.0.0.1:${p.data}`, '--loader-id', 'L1', ...client('loader')], env);
  const code = await tr.exited;
  if (code !== 0) process.stderr.write(tr.err());
  expect(code).toBe(0);
  expect(tr.err()).toMatch(/CURVE on: 2 authorized client key\(s\)/);
  expect(await good.exited).toBe(0);
  expect(await ev.exited).toBe(0);
  // Only L1 ever said HELLO; the others never got through the handshake, so they never heard DONE.
  expect(tr.err()).toMatch(/loader L1 joined/);
  expect(tr.err()).not.toMatch(/loader [SP] joined|rejected message/);
  expect(stranger.child.exitCode).toBeNull();
  expect(plain.child.exitCode).toBeNull();
  expect(new Set(jsonl<{ type?: string; from?: string }>(path.join(runDir, 'consumed.jsonl')).filter((l) => l.type === 'batch').map((l) => l.from))).toEqual(new Set(['L1']));
  expect(jsonl<{ epoch: number }>(path.join(runDir, 'eval.jsonl')).map((r) => r.epoch)).toEqual([1, 2]);
  expect((await auditRun(runDir)).ok).toBe(true);
});
