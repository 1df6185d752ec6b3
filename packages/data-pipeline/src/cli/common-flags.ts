/** Flags shared by the data commands, with the tutorial's values as defaults. */
import type { Argv } from 'yargs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT } from './exit-codes';
import { DEFAULT_EXCLUDE } from '../exclusion';

export interface DataFlags {
  'data-dir': string;
  seed: number;
  'validation-split': number;
  'class-names'?: string[];
  validate: boolean;
  exclude?: string[];
  report?: string;
}

export function dataFlags<T>(y: Argv<T>): Argv<T & DataFlags> {
  return y
    .option('data-dir', { type: 'string', demandOption: true, describe: 'Folder with one subfolder of images per class', coerce: lastValue })
    .option('seed', { type: 'number', default: 1337, describe: 'Shuffle seed (numpy RandomState, as Keras uses)' })
    .option('validation-split', { type: 'number', default: 0.2, describe: 'Fraction held out for validation (0: no split)' })
    .option('class-names', { type: 'string', array: true, describe: 'Classes in this order (default: sorted subfolders)' })
    .option('validate', { type: 'boolean', default: true, describe: 'Validate the images and leave out what cannot be trained on (--no-validate to keep all)' })
    .option('exclude', {
      type: 'string',
      array: true,
      describe: `Validation categories left out of training, or none (default: ${DEFAULT_EXCLUDE.join(' ')}; other flagged files are kept with a warning)`,
    })
    .option('report', { type: 'string', describe: 'Where to write the JSON list of left-out files' }) as unknown as Argv<T & DataFlags>;
}

/** A flag given twice counts once, the last one winning (yargs would make it an array). */
export function lastValue<T>(v: T | T[]): T {
  return Array.isArray(v) ? v[v.length - 1]! : v;
}

export interface ImageFlags {
  'image-size': [number, number];
  interpolation: string;
  'crop-to-aspect-ratio': boolean;
}

export function imageFlags<T>(y: Argv<T>): Argv<T & ImageFlags> {
  return y
    .option('image-size', {
      type: 'string',
      array: true,
      default: ['180', '180'],
      describe: 'Height and width to resize to: "180 180" or "180x180"',
      coerce: parseImageSize,
    })
    .option('interpolation', { type: 'string', default: 'bilinear', choices: ['bilinear', 'nearest', 'bicubic', 'area'] })
    .option('crop-to-aspect-ratio', { type: 'boolean', default: false, describe: 'Centre-crop to the target aspect ratio before resizing' }) as unknown as Argv<
    T & ImageFlags
  >;
}

export function parseImageSize(v: string[] | string): [number, number] {
  const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(/[x,]/i)).filter((s) => s !== '');
  const nums = parts.map(Number);
  if (nums.length === 1) nums.push(nums[0]!);
  if (nums.length !== 2 || !nums.every((n) => Number.isInteger(n) && n >= 1 && n <= 16384)) {
    throw new CliError(`--image-size must be two integers between 1 and 16384 (height width), received: ${parts.join(' ')}`, EXIT.usage);
  }
  return [nums[0]!, nums[1]!];
}

/** Refuse to overwrite a file unless --force was given; make sure the folder exists. */
export async function checkOutput(out: string, force: boolean): Promise<void> {
  const exists = await fs.stat(out).then(
    () => true,
    () => false,
  );
  if (exists && !force) throw new CliError(`${out} already exists: pass --force to overwrite it, or choose another --out`, EXIT.outputExists);
  const dir = path.dirname(path.resolve(out));
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new CliError(`Cannot write ${out}: folder ${dir} does not exist`, EXIT.outputExists);
}

/** Messages go to stderr so stdout stays clean for --json. */
export const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
