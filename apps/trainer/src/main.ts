#!/usr/bin/env node
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import {
  DEFAULT_CHECKPOINT_PORT, DEFAULT_DATA_PORT, DEFAULT_EVENTS_PORT, DEFAULT_HEARTBEAT_MS, DEFAULT_HOST, DEFAULT_LIVENESS, endpoint, isLoopback, readServerKeys,
} from '@pawpipe/protocol';
import { DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE } from '@pawpipe/trainer';
import { BACKEND_CHOICES, MAX_WASM_THREADS } from '@pawpipe/tf-backend';
import type { BackendChoice } from '@pawpipe/tf-backend';
import { runMain, stderrLog, stopOnSignals, usageFailure } from '@pawpipe/app-shell';
import { TrainerApp } from './trainer-app';

/** Exit codes: 0 trained to the end, 1 unexpected error, 2 bad flag, checkpoint or a batch too big for the backend's memory, 130/143 interrupted. */
const log = stderrLog('trainer');

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('pawpipe-trainer')
    .usage('$0 [options]\n\nTrain the mini-Xception on batches streamed by loaders; checkpoint every epoch; publish checkpoint events.')
    .option('run-dir', { type: 'string', default: 'runs/default', describe: 'folder for checkpoints/, history.jsonl and consumed.jsonl (resumes from it)' })
    .option('epochs', { type: 'number', default: DEFAULT_EPOCHS })
    .option('image-size', { type: 'number', default: 180 })
    .option('batch-size', { type: 'number', default: 32 })
    .option('learning-rate', { type: 'number', default: DEFAULT_LEARNING_RATE })
    .option('bn-momentum', { type: 'number', describe: 'BatchNormalization momentum for a new model (default: Keras\' 0.99; 0.9 for short runs, see README)' })
    .option('recalibrate-bn', { type: 'number', default: 0, describe: 'before each checkpoint, re-estimate BatchNormalization statistics on the epoch\'s last N batches (0: off, as Keras; see README)' })
    .option('micro-batch', { type: 'string', default: 'auto', describe: 'images per forward/backward pass; gradients are summed over the batch (auto: what fits the backend\'s memory, e.g. 8 at 180x180 on wasm)' })
    .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'auto: tfjs-node-gpu with a GPU, WebGPU on a hardware adapter, tfjs-node, wasm, cpu (see the README)' })
    .option('wasm-threads', { type: 'number', default: 1, describe: `on wasm, XNNPACK threads for the training step (1 to ${MAX_WASM_THREADS}; 2 trains ~1.3-1.5x faster on a 2-core machine but competes with the loader's decoding)` })
    .option('listen', { type: 'string', default: DEFAULT_HOST, describe: 'interface to bind (0.0.0.0 to accept loaders and evaluators from other machines)' })
    .option('keys', { type: 'string', describe: 'key folder (pawpipe keys --out DIR): CURVE on both sockets; with DIR/authorized/*.key, only those loaders and evaluators get in' })
    .option('insecure', { type: 'boolean', default: false, describe: 'allow a non-loopback --listen without --keys (anyone who reaches the port can feed batches and read events)' })
    .option('data-port', { type: 'number', default: DEFAULT_DATA_PORT, describe: 'ROUTER port loaders connect to' })
    .option('events-port', { type: 'number', default: DEFAULT_EVENTS_PORT, describe: 'PUB port for checkpoint events' })
    .option('checkpoint-port', { type: 'number', default: DEFAULT_CHECKPOINT_PORT, describe: 'ROUTER port evaluators on other machines fetch checkpoints from' })
    .option('heartbeat-ms', { type: 'number', default: DEFAULT_HEARTBEAT_MS })
    .option('liveness', { type: 'number', default: DEFAULT_LIVENESS, describe: 'missed heartbeats before a loader is declared dead' })
    .option('max-ahead', { type: 'number', default: 16, describe: 'batches assigned or buffered ahead of training (bounds memory)' })
    .option('done-grace-ms', { type: 'number', default: 1500, describe: 'after the last epoch, keep telling late loaders DONE this long' })
    .option('checkpoint-write-delay-ms', { type: 'number', hidden: true, describe: 'fault-injection tests: pause between checkpoint files' })
    .example('$0 --run-dir runs/demo --image-size 48 --epochs 10', 'the demo job')
    .example('$0 --run-dir runs/pets --image-size 180 --epochs 50 --listen 0.0.0.0 --keys keys/trainer', 'the Kaggle job, loaders on other machines (CURVE)')
    .check((a) => {
      for (const k of ['epochs', 'image-size', 'batch-size', 'data-port', 'events-port', 'heartbeat-ms', 'liveness', 'max-ahead'] as const) {
        if (!Number.isInteger(a[k]) || (a[k] as number) < 1) throw new Error(`--${k} must be a positive integer`);
      }
      if (!Number.isInteger(a['checkpoint-port']) || a['checkpoint-port'] < 1) throw new Error('--checkpoint-port must be a positive integer');
      if (!Number.isInteger(a['wasm-threads']) || a['wasm-threads'] < 1 || a['wasm-threads'] > MAX_WASM_THREADS) throw new Error(`--wasm-threads must be an integer from 1 to ${MAX_WASM_THREADS}`);
      if (!(a['learning-rate'] > 0)) throw new Error('--learning-rate must be > 0');
      if (a['micro-batch'] !== 'auto' && !(Number.isInteger(Number(a['micro-batch'])) && Number(a['micro-batch']) >= 1)) throw new Error('--micro-batch must be auto or a positive integer');
      if (!Number.isInteger(a['recalibrate-bn']) || a['recalibrate-bn'] < 0) throw new Error('--recalibrate-bn must be an integer >= 0');
      if (!isLoopback(a.listen) && a.keys === undefined && !a.insecure) throw new Error(`--listen ${a.listen} lets anyone who reaches the port feed batches and read events: give --keys DIR (pawpipe keys --out DIR makes one) or --insecure`);
      if (a['bn-momentum'] !== undefined && !(a['bn-momentum'] > 0 && a['bn-momentum'] < 1)) throw new Error('--bn-momentum must be in (0, 1)');
      return true;
    })
    .strict()
    .help()
    .fail(usageFailure('pawpipe-trainer'))
    .parseAsync();

  const runDir = path.resolve(argv['run-dir']);
  const curve = argv.keys !== undefined ? await readServerKeys(path.resolve(argv.keys)) : undefined;
  if (curve) log(`CURVE on: ${curve.authorized ? `${curve.authorized.length} authorized client key(s) from ${path.join(argv.keys as string, 'authorized')}` : `any client that holds this trainer's public key (add ${path.join(argv.keys as string, 'authorized')}/*.key to admit only those)`}`);
  const app = new TrainerApp({
    runDir, epochs: argv.epochs, imageSize: [argv['image-size'], argv['image-size']], batchSize: argv['batch-size'],
    backend: argv.backend, wasmThreads: argv['wasm-threads'], dataEndpoint: endpoint(argv.listen, argv['data-port']), eventsEndpoint: endpoint(argv.listen, argv['events-port']), checkpointEndpoint: endpoint(argv.listen, argv['checkpoint-port']),
    learningRate: argv['learning-rate'], bnMomentum: argv['bn-momentum'], recalibrateBn: argv['recalibrate-bn'], microBatch: argv['micro-batch'] === 'auto' ? 'auto' : Number(argv['micro-batch']), heartbeatMs: argv['heartbeat-ms'], liveness: argv.liveness, maxAhead: argv['max-ahead'],
    doneGraceMs: argv['done-grace-ms'], checkpointWriteDelayMs: argv['checkpoint-write-delay-ms'], out: process.stdout, log, ...(curve && { curve }),
  });
  const stopping = stopOnSignals(log, () => app.stop(), `closing sockets; the last complete checkpoint stays in ${app.checkpointsDir}`);
  try {
    const s = await app.run();
    const last = s.results[s.results.length - 1];
    if (last) log(`done: ${s.epochs} epochs; last epoch loss ${last.loss.toFixed(4)}, accuracy ${last.accuracy.toFixed(4)}; waited for data ${(100 * s.waitShare).toFixed(2)}% of the time after epoch 1`);
    log(`checkpoints: ${s.checkpointsDir}`);
    log(`history:     ${path.join(runDir, 'history.jsonl')}`);
  } catch (e) {
    if (stopping()) return;
    throw e;
  } finally {
    await app.stop();
  }
}

// Typed errors of the packages (TrainerError, ProtocolError, BackendError, ...) are one line, exit 2.
runMain(main, log);
