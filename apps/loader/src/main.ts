#!/usr/bin/env node
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { defaultDemoDir } from '@pawpipe/demo-data';
import { DECODE_MODES, DEFAULT_EXCLUDE, checkExcludeFlag } from '@pawpipe/data-pipeline';
import type { DecodeMode } from '@pawpipe/data-pipeline';
import { DEFAULT_DATA_PORT, DEFAULT_HEARTBEAT_MS, ProtocolError, endpoint, readClientKeys } from '@pawpipe/protocol';
import { runMain, stderrLog, stopOnSignals, usageFailure } from '@pawpipe/app-shell';
import { Loader, defaultLoaderId } from './loader';
import type { AugmentPlacement } from './loader';

/** Exit codes: 0 trained to the end, 1 unexpected error, 2 bad flag or data folder, 3 refused by the trainer, 130/143 interrupted. */
const EXIT = { refused: 3 } as const;

const log = stderrLog('loader');

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('pawpipe-loader')
    .usage('$0 [options]\n\nIndex and validate a folder of images, then stream augmented training batches to the trainer over ZeroMQ.')
    .option('data-dir', { type: 'string', describe: 'folder with one subfolder per class', default: defaultDemoDir(), defaultDescription: 'the demo data folder' })
    .option('ensure-demo', { type: 'boolean', default: false, describe: 'generate the demo data set into --data-dir first if it is missing' })
    .option('image-size', { type: 'number', default: 180, describe: 'height and width images are resized to' })
    .option('batch-size', { type: 'number', default: 32 })
    .option('seed', { type: 'number', default: 1337, describe: 'shuffle/split/augmentation seed (as in the Keras example)' })
    .option('validation-split', { type: 'number', default: 0.2 })
    .option('augment', { choices: ['loader', 'model', 'none'] as const, default: 'loader' as const, describe: 'where augmentation runs: here (Option 2, CPU), inside the model (Option 1, GPU), or nowhere' })
    .option('flip', { choices: ['horizontal', 'vertical', 'horizontal_and_vertical'] as const, default: 'horizontal' as const })
    .option('rotation', { type: 'number', default: 0.1, describe: 'RandomRotation factor (fraction of 2π)' })
    .option('trainer', { type: 'string', describe: 'trainer data endpoint', default: endpoint('127.0.0.1', DEFAULT_DATA_PORT) })
    .option('loader-id', { type: 'string', describe: 'stable name of this loader (a restart with the same id takes over its work at once)', default: defaultLoaderId(), defaultDescription: 'host-pid' })
    .option('window', { type: 'number', default: 4, describe: 'prefetch window: most batches outstanding (credit)' })
    .option('concurrency', { type: 'number', default: 2, describe: 'batches prepared at once' })
    .option('heartbeat-ms', { type: 'number', default: DEFAULT_HEARTBEAT_MS })
    .option('exclude', { type: 'string', array: true, describe: `validation categories left out of training, or none; give the evaluator the same (default: ${DEFAULT_EXCLUDE.join(' ')})` })
    .option('trainer-key', { type: 'string', describe: 'the trainer\'s public key (its NAME.key file): talk CURVE (encrypted, authenticated); needed when the trainer was given --keys' })
    .option('keys', { type: 'string', describe: 'this loader\'s key folder (pawpipe keys --out DIR), when the trainer admits only authorized keys (default with --trainer-key: a new pair each start)' })
    .option('cache-dir', { type: 'string', describe: 'folder for decoded, resized images, shared by the loaders of this machine (default: memory only)' })
    .option('decode', { choices: DECODE_MODES, default: 'exact' as DecodeMode, describe: 'JPEG decoding: exact (Keras\' pixels) or fast (libjpeg DCT scaling to the smallest size >= --image-size, then the same resize); give the evaluator the same' })
    .option('cache-memory-mb', { type: 'number', describe: 'bound of the in-memory decoded-image cache in MiB (default: a quarter of RAM, at most 4096)' })
    .example('$0 --data-dir PetImages --image-size 180 --decode fast', 'decode JPEGs at a reduced DCT scale (not Keras\' exact pixels)')
    .example('$0 --ensure-demo --image-size 48', 'serve the demo data at 48x48 to a trainer on this machine')
    .example('$0 --data-dir PetImages --image-size 180 --trainer tcp://10.0.0.5:5555', 'the Kaggle folder, to a trainer elsewhere')
    .example('$0 --trainer tcp://10.0.0.5:5555 --trainer-key trainer.key --keys keys/loader-1', 'to a trainer started with --keys (CURVE)')
    .check((a) => {
      if (!Number.isInteger(a['image-size']) || a['image-size'] < 8) throw new Error('--image-size must be an integer >= 8');
      if (!Number.isInteger(a['batch-size']) || a['batch-size'] < 1) throw new Error('--batch-size must be a positive integer');
      if (!Number.isInteger(a.window) || a.window < 1 || a.window > 1024) throw new Error('--window must be an integer in [1, 1024]');
      if (!Number.isInteger(a.concurrency) || a.concurrency < 1) throw new Error('--concurrency must be a positive integer');
      if (!(a['validation-split'] > 0 && a['validation-split'] < 1)) throw new Error('--validation-split must be in (0, 1)');
      if (!/^tcp:\/\/.+:\d+$/.test(a.trainer)) throw new Error('--trainer must look like tcp://HOST:PORT');
      if (a.exclude !== undefined) checkExcludeFlag(a.exclude);
      if (a.keys !== undefined && a['trainer-key'] === undefined) throw new Error('--keys needs --trainer-key (the trainer\'s public NAME.key file)');
      const mb = a['cache-memory-mb'];
      if (mb !== undefined && !(Number.isFinite(mb) && mb >= 0)) throw new Error('--cache-memory-mb must be a number >= 0');
      return true;
    })
    .strict()
    .help()
    .fail(usageFailure('pawpipe-loader'))
    .parseAsync();

  const curve = argv['trainer-key'] !== undefined ? await readClientKeys(path.resolve(argv['trainer-key']), argv.keys && path.resolve(argv.keys)) : undefined;
  const loader = new Loader({
    dataDir: path.resolve(argv['data-dir']), ensureDemo: argv['ensure-demo'], imageSize: [argv['image-size'], argv['image-size']],
    batchSize: argv['batch-size'], seed: argv.seed, validationSplit: argv['validation-split'], augment: argv.augment as AugmentPlacement,
    flip: argv.flip, rotation: argv.rotation, trainer: argv.trainer, loaderId: argv['loader-id'], window: argv.window,
    concurrency: argv.concurrency, heartbeatMs: argv['heartbeat-ms'], log,
    ...(argv['cache-dir'] !== undefined && { cacheDir: path.resolve(argv['cache-dir']) }),
    ...(argv.exclude !== undefined && { exclude: argv.exclude }),
    ...(curve && { curve }),
    decode: argv.decode,
    ...(argv['cache-memory-mb'] !== undefined && { cacheMemoryBytes: Math.round(argv['cache-memory-mb'] * 1024 * 1024) }),
  });
  const stopping = stopOnSignals(log, (signal) => loader.stop(signal));
  await loader.start();
  const reason = await loader.finished();
  if (stopping()) return;
  const s = loader.stats();
  const cache = loader.dataset?.stats().cache;
  // One line the scale bench (and a curious user) can read the cache's effect from.
  if (cache) log(`decoded-image cache: ${cache.memoryHits} memory hits, ${cache.diskHits} disk hits, ${cache.misses} misses, ${cache.notAdmitted} not admitted (bound reached), ${cache.bytes} bytes held`);
  log(`trainer says: ${reason}; produced ${s.produced} batches. Bye.`);
  await loader.stop('done');
}

runMain(main, log, (e) => {
  if (e instanceof ProtocolError && e.code === 'trainer-failed') return { code: 1, line: e.message };
  if (e instanceof ProtocolError && e.code === 'rejected') return { code: EXIT.refused, line: `the trainer refused this loader: ${e.message}` };
  return undefined;
});
