import { promises as fs } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { renderGrid } from '../grid';
import { checkOutput, dataFlags, imageFlags, logToStderr, type DataFlags, type ImageFlags } from './common-flags';
import { openTrainingFromFlags } from './open-from-flags';
import { runHandler } from './run-handler';

interface ShowArgs extends DataFlags, ImageFlags {
  out: string;
  force: boolean;
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show',
  describe: 'Write a PNG grid of the first 9 training images with their class names (the tutorial\'s "Visualize the data" figure)',
  builder: (y: Argv) =>
    imageFlags(dataFlags(y))
      .option('out', { type: 'string', default: 'samples.png', describe: 'PNG file to write' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite --out if it exists' })
      .example('$0 show --data-dir data/PetImages --out grid.png', '3x3 grid of training images')
      .strict() as unknown as Argv<ShowArgs>,
  handler: runHandler('show', async (argv: ShowArgs) => {
    await checkOutput(argv.out, argv.force);
    const ds = await openTrainingFromFlags(argv, { batchSize: 9 });
    // The tutorial's figure is the first batch of epoch 1: take(1), then images 0..8.
    const b = await ds.batch(0, 0);
    const [, h, w] = b.shape;
    const tiles = b.paths.map((p, i) => ({
      rgb: b.images.subarray(i * h * w * 3, (i + 1) * h * w * 3),
      width: w,
      height: h,
      title: ds.classNames[ds.files.find((e) => e.path === p)!.label]!,
    }));
    for (const s of b.skipped) logToStderr(`skipped unreadable file ${s}`);
    await fs.writeFile(argv.out, await renderGrid(tiles));
    logToStderr(`Wrote ${argv.out} (${tiles.length} training images, ${w}x${h}).`);
  }),
};
