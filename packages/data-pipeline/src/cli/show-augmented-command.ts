import { promises as fs } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { drawAugmentation, flipImage, rotateImage, type FlipMode } from '../augment';
import { renderGrid } from '../grid';
import { MT19937 } from '../mt19937';
import { checkOutput, dataFlags, imageFlags, logToStderr, type DataFlags, type ImageFlags } from './common-flags';
import { openTrainingFromFlags } from './open-from-flags';
import { CliError, EXIT } from './exit-codes';
import { runHandler } from './run-handler';

interface ShowAugmentedArgs extends DataFlags, ImageFlags {
  out: string;
  force: boolean;
  flip: string;
  rotation: number;
}

const SHOW_TAG = 0x53484f57; // 'SHOW': a stream of its own, apart from training batches

export const showAugmentedCommand: CommandModule<object, ShowAugmentedArgs> = {
  command: 'show-augmented',
  describe: "Write a PNG grid of 9 augmented versions of the first training image (the tutorial's augmentation figure)",
  builder: (y: Argv) =>
    imageFlags(dataFlags(y))
      .option('out', { type: 'string', default: 'augmented.png', describe: 'PNG file to write' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite --out if it exists' })
      .option('flip', { type: 'string', default: 'horizontal', choices: ['horizontal', 'vertical', 'horizontal_and_vertical', 'none'] })
      .option('rotation', { type: 'number', default: 0.1, describe: 'RandomRotation factor: angles within ±factor × 360°' })
      .example('$0 show-augmented --data-dir data/PetImages --out aug.png', 'RandomFlip("horizontal") + RandomRotation(0.1), as in the tutorial')
      .strict() as unknown as Argv<ShowAugmentedArgs>,
  handler: runHandler('show-augmented', async (argv: ShowAugmentedArgs) => {
    if (!(Number.isFinite(argv.rotation) && Math.abs(argv.rotation) <= 1)) {
      throw new CliError(`--rotation must be a number between -1 and 1 (fraction of a full turn), received: ${argv.rotation}`, EXIT.usage);
    }
    await checkOutput(argv.out, argv.force);
    const ds = await openTrainingFromFlags(argv);
    const [h, w] = ds.imageSize;
    const entry = ds.batchEntries(0, 0)[0]!;
    const src = await ds.loadImage(entry);
    const flip = argv.flip === 'none' ? undefined : (argv.flip as FlipMode);
    const opts = { ...(flip && { flip }), rotation: argv.rotation };
    const rng = MT19937.fromArray([ds.seed, SHOW_TAG]);
    const tiles = [];
    for (let i = 0; i < 9; i++) {
      const aug = drawAugmentation(rng, opts);
      const flipped = Uint8Array.from(src);
      flipImage(flipped, w, h, 3, aug.flipHorizontal, aug.flipVertical);
      const rgb = aug.angle === 0 ? flipped : rotateImage(flipped, w, h, 3, aug.angle);
      const deg = (aug.angle * 180) / Math.PI;
      const arrows = `${aug.flipHorizontal ? '↔' : ''}${aug.flipVertical ? '↕' : ''}`;
      const turn = `${deg >= 0 ? '+' : '−'}${Math.abs(deg).toFixed(1)}°`;
      tiles.push({ rgb, width: w, height: h, title: arrows ? `flip ${arrows}, ${turn}` : turn });
    }
    const heading = `${entry.path} (${ds.classNames[entry.label]})`;
    await fs.writeFile(argv.out, await renderGrid(tiles, { heading }));
    logToStderr(`Wrote ${argv.out} (9 augmentations of ${entry.path}).`);
  }),
};
