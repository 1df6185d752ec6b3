// The GPU setup through the real processes: a trainer and an evaluator with --backend webgpu and
// a loader sending plain batches (--augment model: augmentation runs in the model, on the GPU),
// one epoch on a small demo at 16x16. Without a GPU the adapter is SwiftShader (a CPU emulation).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import { webGpuTestGate } from '@pawpipe/tf-backend';
import { freePort, jsonl, killAll, start } from './procs';

const gate = webGpuTestGate();
// eslint-disable-next-line no-console
if (!gate.ok) console.log(`skipped: no WebGPU adapter (${gate.why})`);
const testGpu = gate.ok ? test : test.skip;

let root: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-webgpu-app-'));
  await generateDemoData({ outDir: path.join(root, 'data'), perClass: 12, seed: 3, plantBroken: false });
}, 120_000);
afterEach(killAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

testGpu('trainer and evaluator on --backend webgpu train and score one epoch, and exit by themselves', async () => {
  const runDir = path.join(root, 'run');
  const dataDir = path.join(root, 'data');
  const [data, events, checkpoints] = [await freePort(), await freePort(), await freePort()];
  const env = { PAWPIPE_CACHE_DIR: path.join(root, 'cache') };
  const size = ['--image-size', '16', '--batch-size', '8'];
  const ev = start('evaluator', ['--run-dir', runDir, '--data-dir', dataDir, '--events', `tcp://127.0.0.1:${events}`,
    '--checkpoints', `tcp://127.0.0.1:${checkpoints}`, '--backend', 'webgpu', '--batch-size', '8', '--poll-ms', '300'], env);
  const ld = start('loader', ['--data-dir', dataDir, ...size, '--trainer', `tcp://127.0.0.1:${data}`, '--loader-id', 'L1', '--augment', 'model', '--heartbeat-ms', '200'], env);
  const tr = start('trainer', ['--run-dir', runDir, '--epochs', '1', ...size, '--backend', 'webgpu', '--data-port', String(data),
    '--events-port', String(events), '--checkpoint-port', String(checkpoints), '--heartbeat-ms', '200', '--liveness', '60', '--done-grace-ms', '300'], env);
  const code = await tr.exited;
  if (code !== 0) process.stderr.write(`trainer exited ${code}\n${tr.err()}\n`);
  expect(code).toBe(0);
  expect(await ld.exited).toBe(0);
  expect(await ev.exited).toBe(0);
  // the adapter is named, and a fallback adapter is flagged as the CPU emulation it is
  expect(tr.err()).toMatch(/backend: webgpu \(WebGPU on .+, bindings up to .+\)/);
  if (gate.ok && gate.fallback) expect(tr.err()).toMatch(/warning: .+ is a fallback adapter: a CPU emulation/);
  expect(tr.err()).toMatch(/whole batches of 8 in one pass \(the largest activation is .+ per image and the adapter binds up to .+\)/);
  expect(ev.err()).toMatch(/backend: webgpu/);
  expect(readdirSync(path.join(runDir, 'checkpoints'))).toEqual(['save_at_1']);
  const history = jsonl<{ epoch: number; loss: number; steps: number }>(path.join(runDir, 'history.jsonl'));
  expect(history.map((h) => h.epoch)).toEqual([1]);
  expect(Number.isFinite(history[0]?.loss)).toBe(true);
  expect(history[0]?.steps).toBeGreaterThan(0);
  const scored = jsonl<{ epoch: number; val_accuracy: number; val_loss: number }>(path.join(runDir, 'eval.jsonl'));
  expect(scored.map((s) => s.epoch)).toEqual([1]);
  expect(Number.isFinite(scored[0]?.val_loss)).toBe(true);
}, 400_000);
