import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { makeModel, modelSummary, plotModel } from '@pawpipe/model';
import { initBackend } from '@pawpipe/tf-backend';

/** Exit codes of `model`: 0 summary printed (and picture written), 2 bad flag or an --out that exists without --force. */
export const MODEL_EXIT = { ok: 0, usage: 2 } as const;

interface ModelArgs { imageSize: number[]; numClasses: number; augmentation: boolean; out?: string; force: boolean }

/** Keras' `model.summary()` and `plot_model(model, show_shapes=True)` for the tutorial's mini-Xception. */
export const modelCommand: CommandModule<object, ModelArgs> = {
  command: 'model',
  describe: "print the mini-Xception's Keras-style summary and draw its graph (PNG or SVG)",
  builder: (y) => y
    .option('image-size', { type: 'number', array: true, default: [180, 180], describe: 'input height and width (one number for a square)' })
    .option('num-classes', { type: 'number', default: 2, describe: 'classes (2: one sigmoid unit, as in the tutorial)' })
    .option('augmentation', { type: 'boolean', default: true, describe: 'include RandomFlip + RandomRotation (Option 1); --no-augmentation leaves them out' })
    .option('out', { type: 'string', describe: 'write the graph picture here (.png or .svg)' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite --out if it exists' })
    .check((a) => {
      const size = a['image-size'] as number[];
      if (size.length < 1 || size.length > 2 || size.some((s) => !Number.isInteger(s) || s < 8)) {
        throw new Error('--image-size takes one or two whole numbers of at least 8, e.g. --image-size 180 180');
      }
      const classes = a['num-classes'] as number;
      if (!Number.isInteger(classes) || classes < 2) throw new Error('--num-classes must be a whole number of at least 2');
      const out = a.out as string | undefined;
      if (out !== undefined && !/\.(png|svg)$/i.test(out)) throw new Error(`--out ${out}: name a .png or .svg file`);
      if (out !== undefined && existsSync(out) && !a.force) throw new Error(`--out ${out} exists; add --force to overwrite it`);
      return true;
    })
    .example('$0 model --image-size 180 --out model.png', 'the summary of the tutorial model, and its graph as model.png') as never,
  handler: async (args) => {
    await initBackend('auto', { log: () => undefined });
    const [h, w = h] = args.imageSize as [number, number?];
    const model = makeModel({ inputShape: [h, w as number, 3], numClasses: args.numClasses, augmentation: args.augmentation ? undefined : false });
    process.stdout.write(`${modelSummary(model)}\n`);
    if (args.out) {
      await plotModel(model, args.out);
      process.stdout.write(`Wrote ${path.resolve(args.out)}\n`);
    }
    model.dispose();
  },
};
