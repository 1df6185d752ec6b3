import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, initBackend, releaseWebGpu } from '@pawpipe/tf-backend';
import type { BackendChoice } from '@pawpipe/tf-backend';
import { DECODE_MODES } from '@pawpipe/data-pipeline';
import type { DecodeMode } from '@pawpipe/data-pipeline';
import { Predictor, sentence } from './predict';
import type { Prediction, PredictFailure } from './predict';

/** Exit codes of `predict`: 0 every image predicted, 2 bad flag or model folder, 3 some image(s) refused (reason printed). */
export const PREDICT_EXIT = { ok: 0, usage: 2, badImage: 3 } as const;

interface PredictArgs { model: string; images: string[]; json: boolean; top: number; backend: BackendChoice; decode: DecodeMode }

export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict <images..>',
  describe: 'classify images with a trained checkpoint',
  builder: (y) => y
    .positional('images', { type: 'string', array: true, demandOption: true, describe: 'image files' })
    .option('model', { type: 'string', demandOption: true, describe: 'a checkpoint folder (save_at_N, best) or a run folder (uses best/)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
    .option('top', { type: 'number', default: 3, describe: 'classes listed when there are more than two' })
    .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'auto: tfjs-node-gpu with a GPU, WebGPU on a hardware adapter, tfjs-node, wasm, cpu (see the README)' })
    .option('decode', { choices: DECODE_MODES, default: 'exact' as DecodeMode, describe: 'JPEG decoding: exact (Keras\' pixels) or fast (libjpeg DCT scaling to the smallest size >= the model\'s, then the same resize)' })
    .example('$0 predict --model runs/demo data/demo/Cat/1.jpg', 'This image is 84.34 percent cat and 15.66 percent dog.') as never,
  handler: async (args) => {
    // only a warning is worth a line here (a WebGPU fallback adapter is a CPU emulation)
    await initBackend(args.backend, { log: (line) => { if (line.startsWith('warning:')) process.stderr.write(`pawpipe: ${line}\n`); } });
    const predictor = await Predictor.open(args.model, { decode: args.decode });
    const results: Array<Prediction | PredictFailure> = [];
    for (const file of args.images) results.push(await predictor.predict(file));
    predictor.dispose();
    await releaseWebGpu();
    const failed = results.filter((r): r is PredictFailure => 'error' in r);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ model: predictor.dir, classNames: predictor.meta.classNames, results }, null, 2)}\n`);
    } else {
      for (const r of results) {
        if ('error' in r) process.stderr.write(`${r.path}: ${r.error}\n`);
        else process.stdout.write(`${args.images.length > 1 ? `${r.path}: ` : ''}${sentence(r, predictor.meta.classNames, args.top)}\n`);
      }
    }
    process.exitCode = failed.length > 0 ? PREDICT_EXIT.badImage : PREDICT_EXIT.ok;
  },
};
