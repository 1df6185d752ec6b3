import { openDataset, type ImageDataset } from '../dataset';
import type { Interpolation } from '../options';
import { logToStderr, type DataFlags, type ImageFlags } from './common-flags';

/**
 * The training subset the picture commands show, opened from the shared data and image flags
 * (no decoded-image cache: one look at a few images). `--validation-split 0` means no split.
 */
export function openTrainingFromFlags(argv: DataFlags & ImageFlags, extra: { batchSize?: number } = {}): Promise<ImageDataset> {
  const split = argv['validation-split'] === 0 ? undefined : argv['validation-split'];
  return openDataset({
    dataDir: argv['data-dir'],
    ...(split !== undefined && { subset: 'training' as const, validationSplit: split }),
    seed: argv.seed,
    imageSize: argv['image-size'],
    ...(extra.batchSize !== undefined && { batchSize: extra.batchSize }),
    interpolation: argv.interpolation as Interpolation,
    cropToAspectRatio: argv['crop-to-aspect-ratio'],
    ...(argv['class-names'] && { classNames: argv['class-names'] }),
    validate: argv.validate,
    ...(argv.exclude !== undefined && { exclude: argv.exclude }),
    ...(argv.report && { reportPath: argv.report }),
    cache: false,
    log: logToStderr,
  });
}
