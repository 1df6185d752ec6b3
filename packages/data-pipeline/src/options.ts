/**
 * Argument checks with Keras' wording (keras/src/utils/dataset_utils.py
 * `check_validation_split_arg`, image_dataset_utils.py), named with this API's option names.
 * The CLI rewrites the `optionName` in backticks to its --flag-name.
 */
import { DataPipelineError } from './errors';

export type Subset = 'training' | 'validation' | 'both';
export type LabelMode = 'int' | 'binary' | 'categorical';
export type Interpolation = 'bilinear' | 'nearest' | 'bicubic' | 'area';

export const LABEL_MODES: readonly LabelMode[] = ['int', 'binary', 'categorical'];
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest', 'bicubic', 'area'];
export const SUBSETS: readonly Subset[] = ['training', 'validation', 'both'];

function bad(message: string): DataPipelineError {
  return new DataPipelineError('bad-argument', message);
}

/** Keras `check_validation_split_arg`, plus the seed range numpy's RandomState accepts. */
export function checkValidationSplitArg(
  validationSplit: number | undefined,
  subset: string | undefined,
  shuffle: boolean,
  seed: number | undefined,
): void {
  if (validationSplit !== undefined && !(typeof validationSplit === 'number' && validationSplit > 0 && validationSplit < 1)) {
    throw bad(`\`validationSplit\` must be between 0 and 1, received: ${String(validationSplit)}`);
  }
  if ((validationSplit !== undefined || subset !== undefined) && !(validationSplit !== undefined && subset !== undefined)) {
    throw bad('If `subset` is set, `validationSplit` must be set, and inversely.');
  }
  if (subset !== undefined && !(SUBSETS as readonly string[]).includes(subset)) {
    throw bad(`\`subset\` must be either "training", "validation" or "both", received: ${subset}`);
  }
  if (seed !== undefined) checkSeed(seed);
  if (validationSplit !== undefined && shuffle && seed === undefined) {
    throw bad(
      'If using `validationSplit` and shuffling the data, you must provide a `seed` argument, ' +
        'to make sure that there is no overlap between the training and validation subset.',
    );
  }
}

/** numpy's legacy seeding accepts integers in [0, 2**32 - 1]. */
export function checkSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw bad(`\`seed\` must be an integer between 0 and 2**32 - 1, received: ${String(seed)}`);
  }
}

export function checkLabelMode(labelMode: string): asserts labelMode is LabelMode {
  if (!(LABEL_MODES as readonly string[]).includes(labelMode)) {
    throw bad(`\`labelMode\` argument must be one of "int", "categorical", "binary". Received: labelMode=${labelMode}`);
  }
}

export function checkInterpolation(interpolation: string): asserts interpolation is Interpolation {
  if (!(INTERPOLATIONS as readonly string[]).includes(interpolation)) {
    throw bad(
      `Argument \`interpolation\` should be one of ${INTERPOLATIONS.map((s) => `"${s}"`).join(', ')}. ` +
        `Received: interpolation=${interpolation}`,
    );
  }
}

/** Keras: "Invalid `image_size` value. Expected a tuple of 2 integers." (and they must be >= 1). */
export function checkImageSize(imageSize: unknown): asserts imageSize is [number, number] {
  const ok =
    Array.isArray(imageSize) &&
    imageSize.length === 2 &&
    imageSize.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16384);
  if (!ok) {
    throw bad(
      `Invalid \`imageSize\` value. Expected 2 integers [height, width] between 1 and 16384. Received: imageSize=${JSON.stringify(imageSize)}`,
    );
  }
}

export function checkBatchSize(batchSize: unknown): asserts batchSize is number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw bad(`\`batchSize\` must be a positive integer, received: ${String(batchSize)}`);
  }
}

export function checkBinaryClasses(labelMode: LabelMode, classNames: readonly string[]): void {
  if (labelMode === 'binary' && classNames.length !== 2) {
    throw new DataPipelineError(
      'binary-needs-two-classes',
      `When passing \`labelMode="binary"\`, there must be exactly 2 classNames. Received: classNames=${JSON.stringify(classNames)}`,
    );
  }
}
