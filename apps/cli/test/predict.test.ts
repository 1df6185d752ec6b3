import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { initBackend, webGpuTestGate } from '@pawpipe/tf-backend';
import { makeModel } from '@pawpipe/model';
import { compileForClasses, saveCheckpoint } from '@pawpipe/trainer';
import type { CheckpointMeta } from '@pawpipe/trainer';
import { sentence } from '../src';

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
let dir: string;
let catDog: string;

async function checkpoint(classNames: string[]): Promise<string> {
  const model = makeModel({ inputShape: [16, 16, 3], numClasses: classNames.length, augmentation: false });
  compileForClasses(model, classNames.length);
  const meta: CheckpointMeta = {
    format: 'pawpipe-checkpoint', formatVersion: 1, runId: 'r', epoch: 1, epochs: 1, classNames, imageSize: [16, 16], seed: 1,
    validationSplit: 0.2, batchSize: 8, labelMode: classNames.length === 2 ? 'binary' : 'categorical', backend: 'wasm',
    augmentation: { placement: 'none' }, metrics: { loss: 0.7, accuracy: 0.5 }, optimizer: { className: 'Adam', learningRate: 0.001 }, savedAt: '',
  };
  const out = await saveCheckpoint(path.join(dir, `run-${classNames.length}`, 'checkpoints'), model, meta);
  model.dispose();
  return out;
}

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, PAWPIPE_CACHE_DIR: path.join(dir, 'cache') } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-cli-'));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 120, b: 40 } } }).jpeg().toFile(path.join(dir, 'cat.jpg'));
  await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 20, g: 20, b: 240 } } }).png().toFile(path.join(dir, 'dog.png'));
  const jpeg = readFileSync(path.join(dir, 'cat.jpg'));
  writeFileSync(path.join(dir, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(path.join(dir, 'notes.jpg'), 'this is not an image\n');
  await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 9, g: 9, b: 9 } } }).tiff().toFile(path.join(dir, 'scan.tiff'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('predict prints the Keras sentence with the checkpoint\'s class names', async () => {
  catDog = await checkpoint(['Cat', 'Dog']);
  const r = cli(['predict', '--model', catDog, '--backend', 'wasm', path.join(dir, 'cat.jpg')]);
  expect(r.code).toBe(0);
  const m = /^This image is (\d+\.\d\d) percent cat and (\d+\.\d\d) percent dog\.\n$/.exec(r.out);
  expect(m).not.toBeNull();
  expect(Number(m?.[1]) + Number(m?.[2])).toBeCloseTo(100, 1);
});

test('predict --json on a run folder (newest checkpoint) gives every class, most likely first', async () => {
  await checkpoint(['bird', 'cat', 'dog']);
  const r = cli(['predict', '--model', path.join(dir, 'run-3'), '--backend', 'wasm', '--json', path.join(dir, 'cat.jpg'), path.join(dir, 'dog.png')]);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.out) as { classNames: string[]; results: Array<{ path: string; classes: Array<{ name: string; probability: number }> }> };
  expect(doc.classNames).toEqual(['bird', 'cat', 'dog']);
  expect(doc.results).toHaveLength(2);
  for (const res of doc.results) {
    expect(res.classes.map((c) => c.name).sort()).toEqual(['bird', 'cat', 'dog']);
    expect(res.classes.reduce((s, c) => s + c.probability, 0)).toBeCloseTo(1, 4);
    expect(res.classes[0]?.probability).toBeGreaterThanOrEqual(res.classes[1]?.probability ?? 1);
  }
});

test('a broken or non-image file gets the validator\'s one-line reason, no stack trace, exit code 3', async () => {
  const r = cli(['predict', '--model', catDog, '--backend', 'wasm', path.join(dir, 'truncated.jpg'), path.join(dir, 'notes.jpg'), path.join(dir, 'scan.tiff'), path.join(dir, 'cat.jpg')]);
  expect(r.code).toBe(3);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/truncated\.jpg: .*(damaged|truncated|premature)/i);
  expect(lines[1]).toMatch(/notes\.jpg: .+/);
  expect(lines[2]).toMatch(/scan\.tiff: .*TIFF/);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.out).toMatch(/cat\.jpg: This image is/);
});

const gate = webGpuTestGate();
// eslint-disable-next-line no-console
if (!gate.ok) console.log(`skipped: no WebGPU adapter (${gate.why})`);
(gate.ok ? test : test.skip)('predict --backend webgpu gives wasm\'s probabilities (within 1e-5) and exits by itself', async () => {
  const run = await checkpoint(['ant', 'bird', 'cat', 'dog']);
  const images = [path.join(dir, 'cat.jpg'), path.join(dir, 'dog.png')];
  const probs = (backend: string): number[] => {
    const r = cli(['predict', '--model', run, '--backend', backend, '--json', ...images]);
    expect(r.code).toBe(0);
    if (gate.ok && gate.fallback && backend === 'webgpu') expect(r.err).toMatch(/^pawpipe: warning: .+ is a fallback adapter: a CPU emulation/);
    const doc = JSON.parse(r.out) as { results: Array<{ classes: Array<{ name: string; probability: number }> }> };
    return doc.results.flatMap((res) => [...res.classes].sort((a, b) => a.name.localeCompare(b.name)).map((c) => c.probability));
  };
  const gpu = probs('webgpu');
  const wasm = probs('wasm');
  expect(gpu).toHaveLength(8);
  gpu.forEach((p, i) => expect(Math.abs(p - (wasm[i] as number))).toBeLessThan(1e-5));
}, 120_000);

test('a folder that holds no model is one clear line and exit code 2', () => {
  const r = cli(['predict', '--model', dir, '--backend', 'wasm', path.join(dir, 'cat.jpg')]);
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/neither a checkpoint/);
});

test('sentence: two classes in checkpoint order, otherwise the top classes', () => {
  const two = { path: 'x', classes: [{ name: 'Dog', probability: 0.1566 }, { name: 'Cat', probability: 0.8434 }].sort((a, b) => b.probability - a.probability) };
  expect(sentence(two, ['Cat', 'Dog'])).toBe('This image is 84.34 percent cat and 15.66 percent dog.');
  const many = { path: 'x', classes: [{ name: 'Bird', probability: 0.7 }, { name: 'Cat', probability: 0.2 }, { name: 'Dog', probability: 0.06 }, { name: 'Fish', probability: 0.04 }] };
  expect(sentence(many, ['Bird', 'Cat', 'Dog', 'Fish'], 3)).toBe('This image is 70.00 percent bird, 20.00 percent cat and 6.00 percent dog.');
});

test('predict --decode fast: a large JPEG decoded at a reduced DCT scale gets the exact path\'s answer; a bad mode is exit 2', async () => {
  const big = path.join(dir, 'big.jpg');
  await sharp({ create: { width: 130, height: 70, channels: 3, background: { r: 200, g: 120, b: 40 } } }).jpeg().toFile(big);
  const probs = (decode: string) => {
    const r = cli(['predict', '--model', catDog, '--backend', 'wasm', '--json', '--decode', decode, big]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.out) as { results: Array<{ classes: Array<{ name: string; probability: number }> }> }).results[0]!.classes;
  };
  const [fast, exact] = [probs('fast'), probs('exact')];
  expect(fast.map((c) => c.name)).toEqual(exact.map((c) => c.name));
  fast.forEach((c, i) => expect(Math.abs(c.probability - exact[i]!.probability)).toBeLessThan(0.01));
  const bad = cli(['predict', '--model', catDog, '--decode', 'quick', big]);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/decode/);
});
