import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import { indexDirectory } from '@pawpipe/data-pipeline';
import { makeModel } from '@pawpipe/model';
import { initBackend } from '@pawpipe/tf-backend';
import { compileForClasses, saveCheckpoint } from '@pawpipe/trainer';
import type { CheckpointMeta } from '@pawpipe/trainer';
import { EvaluatorApp, mostConfidentlyWrong } from '../src';

let root: string;
let dataDir: string;

beforeAll(async () => {
  await initBackend('wasm');
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-eval-page-'));
  process.env.PAWPIPE_CACHE_DIR = path.join(root, 'cache');
  dataDir = path.join(root, 'data');
  await generateDemoData({ outDir: dataDir, perClass: 15, seed: 5, plantBroken: true });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('mostConfidentlyWrong keeps only wrong answers, the most confident first', () => {
  const e = (p: string, label: number) => ({ path: p, label });
  const scored = [
    { entry: e('a', 0), probabilities: [0.9, 0.1] }, // right
    { entry: e('b', 0), probabilities: [0.3, 0.7] }, // wrong, 0.7
    { entry: e('c', 1), probabilities: [0.95, 0.05] }, // wrong, 0.95
    { entry: e('d', 1), probabilities: [0.4, 0.6] }, // right
    { entry: e('f', 2), probabilities: [0.2, 0.5, 0.3] }, // wrong, 0.5
  ];
  const worst = mostConfidentlyWrong(scored, 10);
  expect(worst.map((w) => [w.entry.path, w.predicted, w.confidence])).toEqual([['c', 0, 0.95], ['b', 1, 0.7], ['f', 1, 0.5]]);
  expect(mostConfidentlyWrong(scored, 1).map((w) => w.entry.path)).toEqual(['c']);
});

test('the evaluator writes the validator report with thumbnails and the best epoch\'s most confidently wrong images', async () => {
  const runDir = path.join(root, 'run');
  const meta: CheckpointMeta = {
    format: 'pawpipe-checkpoint', formatVersion: 1, runId: 'r', epoch: 1, epochs: 1, classNames: ['Cat', 'Dog'], imageSize: [16, 16], seed: 9,
    validationSplit: 0.4, batchSize: 8, labelMode: 'binary', backend: 'wasm', augmentation: { placement: 'loader' },
    metrics: { loss: 0.7, accuracy: 0.5 }, optimizer: { className: 'Adam', learningRate: 0.001 }, savedAt: '',
  };
  const m = makeModel({ inputShape: [16, 16, 3], numClasses: 2, augmentation: false });
  compileForClasses(m, 2);
  await saveCheckpoint(path.join(runDir, 'checkpoints'), m, meta);
  m.dispose();
  const [record] = await new EvaluatorApp({ runDir, dataDir, events: 'tcp://127.0.0.1:1', backend: 'wasm', batchSize: 8, follow: false, pollMs: 100, log: () => undefined }).run();

  const index = await indexDirectory(dataDir, { seed: 9, validationSplit: 0.4, subset: 'validation', log: false });
  type Thumb = { width: number; height: number; rgb: string } | null;
  const report = JSON.parse(readFileSync(path.join(runDir, 'data-report.json'), 'utf8')) as { excluded: Array<{ path: string; reason: string; thumb: Thumb }>; keptWithWarning: Array<{ path: string; thumb: Thumb }> };
  expect(report.excluded.map((f) => f.path)).toEqual(index.excluded.map((f) => f.path));
  expect(report.keptWithWarning.map((f) => f.path)).toEqual(index.keptWithWarning.map((f) => f.path));
  expect(report.excluded.length).toBeGreaterThan(0);
  expect(report.excluded.every((f) => f.reason.length > 0)).toBe(true);
  // Files kept with a warning decode, so each has a picture: 48x48 RGB.
  for (const f of report.keptWithWarning) expect(Buffer.from(f.thumb?.rgb ?? '', 'base64').length).toBe(48 * 48 * 3);
  // An empty file has none.
  const empty = report.excluded.find((f) => /empty file/.test(f.reason));
  expect(empty?.thumb).toBeNull();

  const mistakes = JSON.parse(readFileSync(path.join(runDir, 'mistakes.json'), 'utf8')) as {
    epoch: number; images: number; wrong: number; items: Array<{ path: string; truth: string; predicted: string; probabilities: number[]; thumb: Thumb }>;
  };
  const confusion = record?.confusion as number[][];
  expect(mistakes.epoch).toBe(1);
  expect(mistakes.images).toBe(index.validation.length);
  expect(mistakes.wrong).toBe((confusion[0]?.[1] ?? 0) + (confusion[1]?.[0] ?? 0));
  expect(mistakes.wrong).toBeGreaterThan(0); // an untrained model is right about half the time
  expect(mistakes.items.length).toBe(Math.min(12, mistakes.wrong));
  const validation = new Map(index.validation.map((e) => [e.path, e.label]));
  let last = Infinity;
  for (const it of mistakes.items) {
    expect(it.truth).toBe(['Cat', 'Dog'][validation.get(it.path) as number]);
    expect(it.predicted).not.toBe(it.truth);
    const confidence = it.probabilities[['Cat', 'Dog'].indexOf(it.predicted)] as number;
    expect(confidence).toBeGreaterThanOrEqual(0.5);
    expect(confidence).toBeLessThanOrEqual(last);
    last = confidence;
    expect(Buffer.from(it.thumb?.rgb ?? '', 'base64').length).toBe(96 * 96 * 3);
  }
});
