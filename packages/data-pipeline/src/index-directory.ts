/**
 * Keras `image_dataset_from_directory`'s indexing and split (dataset_utils.index_directory and
 * get_training_or_validation_split), plus leaving out the files image-validation finds cannot be
 * trained on (see exclusion.ts).
 */
import { randomInt, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pawpipeCacheDir } from './cache-dir';
import { DataPipelineError } from './errors';
import { MT19937 } from './mt19937';
import { checkValidationSplitArg, type Subset } from './options';
import { ALLOWLIST_FORMATS, listClassDirectories, walkClassFiles } from './walk';
import { scanWithImageValidation, type Policy, type Validator } from './validator';
import { checkExclude, countByCategory, DEFAULT_EXCLUDE, dispositionOf } from './exclusion';

export interface Entry {
  /** Relative to the data folder, '/' separators (Keras' `file_paths` without the folder). */
  path: string;
  label: number;
}

export interface ExcludedFile {
  path: string;
  category: string;
  reason: string;
}

export interface IndexOptions {
  /** Fixes the classes and their order; must name subfolders (Keras `class_names`). */
  classNames?: string[];
  seed?: number;
  validationSplit?: number;
  subset?: Subset;
  /** Keras default true. Without a seed, one is drawn at random (and returned). */
  shuffle?: boolean;
  /** Validate with image-validation: true = 'strict' policy (default), a policy, or false. */
  validate?: boolean | Policy;
  /**
   * Categories left out of training (default DEFAULT_EXCLUDE: not-an-image, too-large, damaged,
   * unsupported); the other flagged files are kept and listed as kept with a warning.
   */
  exclude?: readonly string[];
  /** Where to write the JSON list of left-out and kept-with-warning files (default: under the pawpipe cache folder). */
  reportPath?: string;
  /** Keras' messages go here; default stdout (Keras `verbose=True`); false for silence. */
  log?: ((line: string) => void) | false;
  /** Replaces image-validation (tests). */
  validator?: Validator;
}

export interface IndexResult {
  /** Absolute data folder. */
  root: string;
  classNames: string[];
  training: Entry[];
  /** Empty without a validationSplit. */
  validation: Entry[];
  excluded: ExcludedFile[];
  /** Flagged files that are used anyway (format-mismatch that decodes, decodes-with-warnings...). */
  keptWithWarning: ExcludedFile[];
  /** The categories left out. */
  exclude: string[];
  /** The shuffle seed used (drawn when shuffling without one), undefined when not shuffled. */
  seed: number | undefined;
  /** Files used, after leaving out what cannot be trained on (Keras' "Found N files"). */
  found: number;
  reportPath: string | undefined;
}

const formatsText = `(${ALLOWLIST_FORMATS.map((f) => `'${f}'`).join(', ')})`;

export async function indexDirectory(dir: string, opts: IndexOptions = {}): Promise<IndexResult> {
  const shuffle = opts.shuffle ?? true;
  // Keras tests `if validation_split:`, so 0 means no split.
  const validationSplit = opts.validationSplit === 0 ? undefined : opts.validationSplit;
  checkValidationSplitArg(validationSplit, opts.subset, shuffle, opts.seed);
  const log = opts.log === false ? () => {} : (opts.log ?? ((line: string) => process.stdout.write(`${line}\n`)));
  const root = path.resolve(dir);

  const st = await fs.stat(root).catch(() => undefined);
  if (!st || !st.isDirectory()) {
    throw new DataPipelineError(
      'missing-directory',
      `${st ? 'Not a folder' : 'No such folder'}: ${dir} (point it at a folder with one subfolder of images per class)`,
      { path: dir },
    );
  }

  const subdirs = await listClassDirectories(root);
  let classNames = subdirs;
  if (opts.classNames !== undefined) {
    const missing = opts.classNames.filter((c) => !subdirs.includes(c));
    if (missing.length > 0 || opts.classNames.length === 0 || new Set(opts.classNames).size !== opts.classNames.length) {
      throw new DataPipelineError(
        'unknown-class',
        'The `classNames` passed did not match the names of the subdirectories of the target directory. ' +
          `Expected: ${JSON.stringify(subdirs)} (or a subset of it), but received: classNames=${JSON.stringify(opts.classNames)}`,
        { path: dir },
      );
    }
    classNames = [...opts.classNames]; // keep the given order, as Keras does
  }
  if (classNames.length === 0) {
    throw new DataPipelineError(
      'no-classes',
      `No class subfolders in ${dir}: put each class's images in its own subfolder (e.g. ${path.join(dir, 'Cat', '1.jpg')})`,
      { path: dir },
    );
  }

  // Per-class lists concatenated in class order, labels by class index (Keras index_directory).
  const perClass = await Promise.all(classNames.map((c) => walkClassFiles(path.join(root, c))));
  let entries: Entry[] = [];
  perClass.forEach((files, label) => {
    for (const f of files) entries.push({ path: `${classNames[label]}/${f}`, label });
  });

  let excluded: ExcludedFile[] = [];
  let keptWithWarning: ExcludedFile[] = [];
  let reportPath: string | undefined;
  const exclude = checkExclude(opts.exclude ?? DEFAULT_EXCLUDE);
  const policy: Policy | undefined = opts.validate === false ? undefined : opts.validate === true || opts.validate === undefined ? 'strict' : opts.validate;
  if (policy !== undefined && entries.length > 0) {
    const verdicts = await (opts.validator ?? scanWithImageValidation)(root, entries.map((e) => e.path), policy);
    const excludeSet = new Set(exclude);
    const leaveOut = new Map<string, ExcludedFile>();
    const warned = new Map<string, ExcludedFile>();
    for (const v of verdicts) {
      const d = dispositionOf(v, excludeSet);
      if (d === 'leave-out') leaveOut.set(v.path, { path: v.path, category: v.category, reason: v.reason });
      else if (d === 'keep-with-warning') warned.set(v.path, { path: v.path, category: v.category, reason: v.reason });
    }
    excluded = entries.filter((e) => leaveOut.has(e.path)).map((e) => leaveOut.get(e.path)!);
    keptWithWarning = entries.filter((e) => warned.has(e.path)).map((e) => warned.get(e.path)!);
    if (excluded.length > 0) entries = entries.filter((e) => !leaveOut.has(e.path));
    if (excluded.length > 0 || keptWithWarning.length > 0) {
      reportPath = opts.reportPath ?? defaultReportPath(root);
      await writeReport(reportPath, root, policy, exclude, excluded, keptWithWarning);
      log(`${leftOutLine(excluded, keptWithWarning)} (policy ${policy}); report: ${reportPath}`);
    }
  }

  const counts = new Array<number>(classNames.length).fill(0);
  for (const e of entries) counts[e.label]!++;
  const emptyClass = counts.findIndex((n) => n === 0);
  if (emptyClass >= 0) {
    const name = classNames[emptyClass]!;
    const leftOut = excluded.filter((e) => e.path.startsWith(`${name}/`)).length;
    throw new DataPipelineError(
      'empty-class',
      `Class folder ${path.join(dir, name)} holds no usable images` +
        (leftOut > 0 ? ` (${leftOut} left out as broken, see ${reportPath})` : ` with an allowed extension ${formatsText}`) +
        ': add images or remove the folder',
      { path: path.join(dir, name) },
    );
  }
  log(`Found ${entries.length} files belonging to ${classNames.length} classes.`);

  let seed = opts.seed;
  if (shuffle) {
    if (seed === undefined) seed = randomInt(1_000_000); // Keras: np.random.randint(1e6)
    MT19937.fromSeed(seed).shuffle(entries);
  }

  let training = entries;
  let validation: Entry[] = [];
  if (validationSplit !== undefined) {
    // Keras get_training_or_validation_split: the last int(split * n) files are validation.
    const numVal = Math.trunc(validationSplit * entries.length);
    if (numVal === 0) {
      throw new DataPipelineError(
        'no-images',
        `\`validationSplit\` ${validationSplit} of ${entries.length} files leaves no validation files ` +
          `(int(${validationSplit} * ${entries.length}) = 0): add images or raise the split`,
        { path: dir },
      );
    }
    training = entries.slice(0, entries.length - numVal);
    validation = entries.slice(entries.length - numVal);
    if (opts.subset === 'training' || opts.subset === 'both') log(`Using ${training.length} files for training.`);
    if (opts.subset === 'validation' || opts.subset === 'both') log(`Using ${validation.length} files for validation.`);
  }
  return { root, classNames, training, validation, excluded, keptWithWarning, exclude, seed: shuffle ? seed : undefined, found: entries.length, reportPath };
}

function defaultReportPath(root: string): string {
  const key = createHash('sha1').update(root).digest('hex').slice(0, 12);
  return path.join(pawpipeCacheDir(), 'reports', `${path.basename(root)}-${key}.excluded.json`);
}

/** "Left out 6 files (not-an-image 3, damaged 3); kept 37 with a warning (format-mismatch 37)". */
function leftOutLine(excluded: ExcludedFile[], kept: ExcludedFile[]): string {
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const out = `Left out ${files(excluded.length)}${excluded.length > 0 ? ` (${countByCategory(excluded)})` : ''}`;
  return `${out}; kept ${kept.length} with a warning${kept.length > 0 ? ` (${countByCategory(kept)})` : ''}`;
}

async function writeReport(file: string, root: string, policy: Policy, exclude: string[], excluded: ExcludedFile[], keptWithWarning: ExcludedFile[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify({ root, policy, exclude, excluded, keptWithWarning }, null, 2)}\n`);
  await fs.rename(tmp, file);
}
