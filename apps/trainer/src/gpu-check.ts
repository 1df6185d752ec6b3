#!/usr/bin/env node
/**
 * The GPU check (issue 9), for a machine with a GPU and no network: which WebGPU adapter Dawn sees,
 * the training step of the mini-Xception at 180x180, batch 32, on it (the trainer's own path:
 * trainOnBatch, augmentation in the model), and the trainer's share of time waiting for data with
 * 1, 2, 4, ... loader processes feeding it (real processes, real sockets, demo data).
 * Goals: <= 137 ms a step (the seed's Keras on a GTX 1650); < 2% waiting after epoch 1.
 * Options: --steps (10) --image-size (180) --batch-size (32) --per-class (400) --epochs (3)
 *          --loaders (1,2,4) --backend (webgpu) --no-pipeline
 * Run: node apps/trainer/dist/gpu-check.js   (or `pnpm gpu-check` at the root)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData } from '@pawpipe/demo-data';
import { autoMicroBatch, makeModel, trainStep } from '@pawpipe/model';
import { initBackend, releaseWebGpu, tf } from '@pawpipe/tf-backend';
import type { BackendChoice } from '@pawpipe/tf-backend';
import { compileForClasses } from '@pawpipe/trainer';
import { freePort, runApp } from './child-procs';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] as string) : def;
};
const STEP_GOAL_MS = 137;
const WAIT_GOAL = 0.02;

async function stepTime(backend: BackendChoice, size: number, batch: number, steps: number): Promise<void> {
  const sel = await initBackend(backend, { log: (l) => console.log(l) });
  const model = makeModel({ inputShape: [size, size, 3], numClasses: 2, augmentation: { flip: 'horizontal', rotation: 0.1, seed: 1337 } });
  compileForClasses(model, 2);
  const micro = autoMicroBatch(model, sel, batch);
  console.log(`micro-batch: ${micro.microBatch} of ${batch} (${micro.why})`);
  const x = tf.randomUniform([batch, size, size, 3], 0, 255, 'float32', 1);
  const y = tf.tensor2d(Array.from({ length: batch }, (_, i) => i % 2), [batch, 1]);
  // what fit() runs: trainOnBatch for whole batches, trainStep for micro-batches; both end in an awaited read
  const step = async (): Promise<void> => {
    if (micro.microBatch < batch) await trainStep(model, model.optimizer, x, y, { microBatch: micro.microBatch });
    else await model.trainOnBatch(x, y);
  };
  const t0 = performance.now();
  await step();
  console.log(`first step (compiles the shaders): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(`training step at ${size}x${size}, batch ${batch}: median ${median.toFixed(1)} ms over ${steps} steps (min ${(times[0] as number).toFixed(1)}, max ${(times.at(-1) as number).toFixed(1)}); ` +
    `goal <= ${STEP_GOAL_MS} ms: ${median <= STEP_GOAL_MS ? 'met' : 'NOT met'}${sel.adapter?.isFallbackAdapter ? ' (fallback adapter: a CPU emulation, not a GPU figure)' : ''}`);
  tf.dispose([x, y]);
  model.dispose();
  await releaseWebGpu();
}

interface Epoch { epoch: number; seconds: number; wait_seconds: number; steps: number }

async function waitShare(backend: BackendChoice, size: number, batch: number, perClass: number, epochs: number, loaderCounts: number[]): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'pawpipe-gpu-check-'));
  try {
    const dataDir = path.join(root, 'data');
    await generateDemoData({ outDir: dataDir, perClass, seed: 1337 });
    console.log(`\nwait for data: demo data ${perClass}/class at ${size}x${size}, batch ${batch}, ${epochs} epochs, loaders with --augment model, ${cpus().length} cores`);
    console.log('| loaders | epoch 1 | later epochs: wall | per step | waiting | wait share |');
    console.log('|---|---|---|---|---|---|');
    for (const loaders of loaderCounts) {
      const runDir = path.join(root, `run-${loaders}`);
      const [data, events, checkpoints] = [await freePort(), await freePort(), await freePort()];
      const common = ['--image-size', String(size), '--batch-size', String(batch)];
      // each loader its own decoded-image cache, as on separate machines
      await Promise.all([
        runApp('trainer/dist/main.js', ['--run-dir', runDir, '--epochs', String(epochs), ...common, '--backend', backend, '--data-port', String(data),
          '--events-port', String(events), '--checkpoint-port', String(checkpoints), '--done-grace-ms', '200']),
        ...Array.from({ length: loaders }, (_, k) => runApp('loader/dist/main.js', ['--data-dir', dataDir, ...common, '--augment', 'model',
          '--trainer', `tcp://127.0.0.1:${data}`, '--loader-id', `gpu-check-${k}`, '--cache-dir', path.join(root, `cache-${loaders}-${k}`)])),
      ]);
      const history = readFileSync(path.join(runDir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Epoch);
      const first = history[0] as Epoch;
      const later = history.slice(1);
      const wall = later.reduce((s, e) => s + e.seconds, 0);
      const wait = later.reduce((s, e) => s + e.wait_seconds, 0);
      const steps = later.reduce((s, e) => s + e.steps, 0);
      const share = wait / Math.max(1e-9, wall);
      console.log(`| ${loaders} | ${first.seconds.toFixed(1)} s (wait ${(100 * first.wait_seconds / first.seconds).toFixed(1)}%) | ${wall.toFixed(1)} s | ${(1000 * wall / Math.max(1, steps)).toFixed(0)} ms | ${wait.toFixed(2)} s | **${(100 * share).toFixed(2)}%** |`);
      if (share < WAIT_GOAL) {
        console.log(`goal < 2% after epoch 1: met with ${loaders} loader process${loaders > 1 ? 'es' : ''}`);
        return;
      }
    }
    console.log(`goal < 2% after epoch 1: NOT met with up to ${Math.max(...loaderCounts)} loader processes`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const backend = opt('backend', 'webgpu') as BackendChoice;
  const size = Number(opt('image-size', '180'));
  const batch = Number(opt('batch-size', '32'));
  console.log(`pawpipe gpu-check: node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
  await stepTime(backend, size, batch, Number(opt('steps', '10')));
  if (!argv.includes('--no-pipeline')) {
    await waitShare(backend, size, batch, Number(opt('per-class', '400')), Number(opt('epochs', '3')), opt('loaders', '1,2,4').split(',').map(Number));
  }
}

main().catch((e: unknown) => {
  const err = e as Error & { code?: string };
  process.stderr.write(`gpu-check: ${err.code ? err.message : err.stack ?? String(e)}\n`);
  process.exit(err.code === 'webgpu-unavailable' ? 2 : 1);
});
