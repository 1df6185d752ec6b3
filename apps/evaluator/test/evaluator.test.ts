import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import { indexDirectory } from '@pawpipe/data-pipeline';
import { makeModel } from '@pawpipe/model';
import { initBackend } from '@pawpipe/tf-backend';
import { compileForClasses, readMeta, saveCheckpoint } from '@pawpipe/trainer';
import type { CheckpointMeta } from '@pawpipe/trainer';
import { EvaluatorApp } from '../src';

let root: string;
let dataDir: string;

beforeAll(async () => {
  await initBackend('wasm');
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-eval-'));
  process.env.PAWPIPE_CACHE_DIR = path.join(root, 'cache');
  dataDir = path.join(root, 'data');
  await generateDemoData({ outDir: dataDir, perClass: 15, seed: 4, plantBroken: true });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function meta(epoch: number): CheckpointMeta {
  return {
    format: 'pawpipe-checkpoint', formatVersion: 1, runId: 'r', epoch, epochs: 2, classNames: ['Cat', 'Dog'], imageSize: [16, 16], seed: 9,
    validationSplit: 0.25, batchSize: 8, labelMode: 'binary', backend: 'wasm', augmentation: { placement: 'loader' },
    metrics: { loss: 0.7 - epoch * 0.1, accuracy: 0.5 + epoch * 0.1 }, optimizer: { className: 'Adam', learningRate: 0.001 }, savedAt: '',
  };
}

const app = (runDir: string) => new EvaluatorApp({ runDir, dataDir, events: 'tcp://127.0.0.1:1', backend: 'wasm', batchSize: 8, follow: false, pollMs: 100, log: () => undefined });

test('scores each checkpoint once on the same validation split, keeps the best, writes the figures and the report', async () => {
  const runDir = path.join(root, 'run');
  for (const epoch of [1, 2]) {
    const m = makeModel({ inputShape: [16, 16, 3], numClasses: 2, augmentation: false });
    compileForClasses(m, 2);
    await saveCheckpoint(path.join(runDir, 'checkpoints'), m, meta(epoch));
    m.dispose();
  }
  const records = await app(runDir).run();
  expect(records.map((r) => r.epoch)).toEqual([1, 2]);
  const split = await indexDirectory(dataDir, { seed: 9, validationSplit: 0.25, subset: 'validation', log: false });
  expect(records.every((r) => r.images === split.validation.length)).toBe(true);
  for (const r of records) {
    expect(r.val_accuracy).toBeGreaterThanOrEqual(0);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(r.images);
    expect(r.loss).toBeCloseTo(0.7 - r.epoch * 0.1, 6); // training metrics carried from the checkpoint for the curves
  }
  const best = records.reduce((b, r) => (r.val_loss < b.val_loss ? r : b));
  expect((await readMeta(path.join(runDir, 'best'))).epoch).toBe(best.epoch);
  expect(JSON.parse(readFileSync(path.join(runDir, 'best.json'), 'utf8')).epoch).toBe(best.epoch);
  for (const f of ['curves.png', 'confusion-matrix.png', 'confusion-matrix.txt', 'report.md']) expect(existsSync(path.join(runDir, f))).toBe(true);
  expect(readFileSync(path.join(runDir, 'report.md'), 'utf8')).toMatch(new RegExp(`\\| ${best.epoch} \\|.*best`));

  // A second evaluator on the same run scores nothing twice.
  const again = await app(runDir).run();
  expect(again.map((r) => r.epoch)).toEqual([1, 2]);
  expect(readFileSync(path.join(runDir, 'eval.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

  // Killed after recording its best epoch but before copying it: the next start copies it.
  rmSync(path.join(runDir, 'best'), { recursive: true });
  rmSync(path.join(runDir, 'best.json'));
  await app(runDir).run();
  expect((await readMeta(path.join(runDir, 'best'))).epoch).toBe(best.epoch);
  expect(JSON.parse(readFileSync(path.join(runDir, 'best.json'), 'utf8')).epoch).toBe(best.epoch);
});
