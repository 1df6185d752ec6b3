#!/usr/bin/env node
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { defaultDemoDir } from '@pawpipe/demo-data';
import { DECODE_MODES, DEFAULT_EXCLUDE, checkExcludeFlag } from '@pawpipe/data-pipeline';
import type { DecodeMode } from '@pawpipe/data-pipeline';
import { DEFAULT_CHECKPOINT_PORT, DEFAULT_EVENTS_PORT, endpoint, readClientKeys } from '@pawpipe/protocol';
import { BACKEND_CHOICES, MAX_WASM_THREADS } from '@pawpipe/tf-backend';
import type { BackendChoice } from '@pawpipe/tf-backend';
import { runMain, stderrLog, stopOnSignals, usageFailure } from '@pawpipe/app-shell';
import { EVAL_FILES, EvaluatorApp } from './evaluator-app';

/** Exit codes: 0 done, 1 unexpected error (or the trainer reported a failed run), 2 bad flag, data folder or checkpoint, 3 a checkpoint could not be fetched from a finished trainer, 130/143 interrupted. */
const EXIT = { fetch: 3 } as const;

const log = stderrLog('evaluator');

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('pawpipe-evaluator')
    .usage('$0 [options]\n\nScore every checkpoint of a run on the validation subset; keep the best; draw the curves and the confusion matrix.')
    .option('run-dir', { type: 'string', default: 'runs/default', describe: 'the trainer\'s run folder (checkpoints/ inside)' })
    .option('data-dir', { type: 'string', default: defaultDemoDir(), defaultDescription: 'the demo data folder', describe: 'the folder the loaders train on (its validation subset is used)' })
    .option('events', { type: 'string', default: endpoint('127.0.0.1', DEFAULT_EVENTS_PORT), describe: 'the trainer\'s event endpoint' })
    .option('checkpoints', { type: 'string', defaultDescription: `the --events host, port ${DEFAULT_CHECKPOINT_PORT}`, describe: 'the trainer\'s checkpoint endpoint: checkpoints missing from --run-dir are fetched from it (a trainer on another machine)' })
    .option('fetch-timeout-ms', { type: 'number', default: 5000, describe: 'how long one checkpoint request waits for an answer before asking again' })
    .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'auto: tfjs-node-gpu with a GPU, WebGPU on a hardware adapter, tfjs-node, wasm, cpu (see the README)' })
    .option('wasm-threads', { type: 'number', default: 1, describe: `on wasm, XNNPACK threads for scoring (1 to ${MAX_WASM_THREADS})` })
    .option('batch-size', { type: 'number', default: 32 })
    .option('follow', { type: 'boolean', default: true, describe: 'wait for new checkpoints until the run ends (--no-follow: score what is there, exit)' })
    .option('trainer-key', { type: 'string', describe: 'the trainer\'s public key (its NAME.key file): talk CURVE (encrypted, authenticated); needed when the trainer was given --keys' })
    .option('keys', { type: 'string', describe: 'this evaluator\'s key folder (pawpipe keys --out DIR), when the trainer admits only authorized keys (default with --trainer-key: a new pair each start)' })
    .option('poll-ms', { type: 'number', default: 2000, describe: 'folder scan interval' })
    .option('exclude', { type: 'string', array: true, describe: `validation categories left out, or none; give the loaders the same (default: ${DEFAULT_EXCLUDE.join(' ')})` })
    .option('decode', { choices: DECODE_MODES, default: 'exact' as DecodeMode, describe: 'JPEG decoding: exact (Keras\' pixels) or fast (libjpeg DCT scaling to the smallest size >= --image-size, then the same resize)' })
    .example('$0 --run-dir runs/demo', 'follow the demo run')
    .example('$0 --run-dir runs/pets --data-dir PetImages --no-follow', 'score every checkpoint already saved')
    .check((a) => {
      if (!Number.isInteger(a['batch-size']) || a['batch-size'] < 1) throw new Error('--batch-size must be a positive integer');
      if (!Number.isInteger(a['wasm-threads']) || a['wasm-threads'] < 1 || a['wasm-threads'] > MAX_WASM_THREADS) throw new Error(`--wasm-threads must be an integer from 1 to ${MAX_WASM_THREADS}`);
      if (!/^tcp:\/\/.+:\d+$/.test(a.events)) throw new Error('--events must look like tcp://HOST:PORT');
      if (a.exclude !== undefined) checkExcludeFlag(a.exclude);
      if (a.checkpoints !== undefined && !/^tcp:\/\/.+:\d+$/.test(a.checkpoints)) throw new Error('--checkpoints must look like tcp://HOST:PORT');
      if (!Number.isInteger(a['fetch-timeout-ms']) || a['fetch-timeout-ms'] < 1) throw new Error('--fetch-timeout-ms must be a positive integer');
      if (a.keys !== undefined && a['trainer-key'] === undefined) throw new Error('--keys needs --trainer-key (the trainer\'s public NAME.key file)');
      return true;
    })
    .strict()
    .help()
    .fail(usageFailure('pawpipe-evaluator'))
    .parseAsync();

  const runDir = path.resolve(argv['run-dir']);
  const curve = argv['trainer-key'] !== undefined ? await readClientKeys(path.resolve(argv['trainer-key']), argv.keys && path.resolve(argv.keys)) : undefined;
  const app = new EvaluatorApp({
    runDir, dataDir: path.resolve(argv['data-dir']), events: argv.events, backend: argv.backend, wasmThreads: argv['wasm-threads'], batchSize: argv['batch-size'],
    follow: argv.follow, pollMs: argv['poll-ms'], log, ...(curve && { curve }),
    ...(argv.exclude !== undefined && { exclude: argv.exclude }),
    decode: argv.decode,
    checkpoints: argv.checkpoints ?? argv.events.replace(/:\d+$/, `:${DEFAULT_CHECKPOINT_PORT}`), fetchTimeoutMs: argv['fetch-timeout-ms'],
  });
  stopOnSignals(log, () => app.stop());
  const records = await app.run();
  await app.stop();
  const best = records.reduce<(typeof records)[number] | null>((b, r) => (!b || r.val_loss < b.val_loss ? r : b), null);
  if (best) {
    log(`best: epoch ${best.epoch}, val_loss ${best.val_loss.toFixed(4)}, val_accuracy ${best.val_accuracy.toFixed(4)}`);
    log(`best model:       ${path.join(runDir, EVAL_FILES.best)}`);
    log(`curves:           ${path.join(runDir, EVAL_FILES.curves)}`);
    log(`confusion matrix: ${path.join(runDir, EVAL_FILES.confusionPng)}`);
    log(`report:           ${path.join(runDir, EVAL_FILES.report)}`);
  } else {
    log('no checkpoint to score');
  }
  if (app.fetchFailed) {
    log(`incomplete: ${app.fetchFailed}`);
    process.exitCode = EXIT.fetch;
  }
  if (app.trainerFailed) {
    log('the trainer reported a failed run');
    process.exitCode = 1;
  }
}

runMain(main, log);
