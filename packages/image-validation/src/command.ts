import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ValidationError } from './errors';
import { progress } from './progress';
import { deleteFiles, quarantine, restore } from './quarantine';
import { scan } from './scan';
import { formatSummary, writeJsonReport } from './summary';
import { CATEGORIES, POLICIES, type Category, type Policy } from './types';

/** Exit codes of validate-images (README "Exit codes"). */
export const EXIT = { clean: 0, flagged: 1, usage: 2, actionFailed: 3 } as const;

export interface ValidateArgs {
  dir?: string;
  policy: Policy;
  json?: string;
  quarantine?: string;
  restore?: string;
  delete: boolean;
  yes: boolean;
  only?: Category[];
  'max-pixels'?: number;
  concurrency?: number;
  cache: boolean;
  pixels: boolean;
}

/** Messages of our own usage errors: yargs re-wraps errors thrown in coerce/check, losing the class. */
const usageMessages = new Set<string>();
const usage = (msg: string) => {
  usageMessages.add(msg);
  return new ValidationError('usage', msg);
};
export const isUsageMessage = (msg: string | undefined): boolean => msg !== undefined && usageMessages.has(msg);

function parsePolicy(v: unknown): Policy {
  const s = String(v);
  if (!(POLICIES as readonly string[]).includes(s)) throw usage(`--policy ${s}: unknown policy; use one of ${POLICIES.join(', ')}`);
  return s as Policy;
}

function parseOnly(v: unknown): Category[] {
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter((x) => x !== '');
  for (const c of list) {
    if (!(CATEGORIES as readonly string[]).includes(c) || c === 'ok') {
      throw usage(`--only ${c}: unknown category; use any of ${CATEGORIES.filter((k) => k !== 'ok').join(', ')}`);
    }
  }
  return list as Category[];
}

function positiveInt(flag: string) {
  return (v: unknown): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw usage(`--${flag} ${String(v)}: not a whole number; pass e.g. --${flag} 4`);
    return n;
  };
}

function checkCombination(a: Partial<ValidateArgs>): true {
  const actions = [a.quarantine !== undefined && '--quarantine', a.restore !== undefined && '--restore', a.delete && '--delete'].filter(Boolean);
  if (actions.length > 1) throw usage(`${actions.join(' and ')}: pick one action per run`);
  if (a.delete && !a.yes) throw usage('--delete: deletes files for good; add --yes to confirm, or use --quarantine DIR to keep them');
  if (a.yes && !a.delete) throw usage('--yes: only confirms --delete; drop it or add --delete');
  if (a.restore === undefined && a.dir === undefined) throw usage('missing folder: pass the image folder to check, e.g. validate-images data/PetImages');
  if (a.restore !== undefined && a.dir !== undefined) throw usage(`--restore: takes no folder (the manifest knows it); drop "${a.dir}"`);
  return true;
}

export function builder(y: Argv): Argv<ValidateArgs> {
  return y
    .positional('dir', { type: 'string', describe: 'Keras-style image folder (one subfolder per class)' })
    .option('policy', { type: 'string', default: 'strict', coerce: parsePolicy, describe: `Which checks decide: ${POLICIES.join(' | ')}` })
    .option('json', { type: 'string', describe: 'Write the full report (one entry per file) to this JSON file' })
    .option('quarantine', { type: 'string', describe: 'Move flagged files into this folder (keeps relative paths, writes a manifest)' })
    .option('restore', { type: 'string', describe: 'Put back the files of a quarantine manifest' })
    .option('delete', { type: 'boolean', default: false, describe: 'Delete flagged files (needs --yes)' })
    .option('yes', { type: 'boolean', default: false, describe: 'Confirm --delete' })
    .option('only', { type: 'array', string: true, coerce: parseOnly, describe: 'Flag only these categories' })
    .option('max-pixels', { type: 'number', coerce: positiveInt('max-pixels'), describe: 'Pixel limit from the header (0: none; default 89478485, Pillow\'s)' })
    .option('concurrency', { type: 'number', coerce: positiveInt('concurrency'), describe: 'Files examined at once (default: number of cores)' })
    .option('cache', { type: 'boolean', default: true, describe: 'Reuse verdicts of unchanged files (--no-cache to recheck all)' })
    .option('pixels', { type: 'boolean', default: false, describe: 'strict: also decode the pixels of JPEGs whose coded blocks were all walked (slower)' })
    .check(checkCombination)
    .example('$0 data/PetImages', 'report what is wrong, change nothing')
    .example('$0 data/PetImages --json report.json --quarantine /tmp/q', 'move flagged files aside')
    .example('$0 --restore /tmp/q/quarantine-manifest.jsonl', 'put them back') as unknown as Argv<ValidateArgs>;
}

/** Runs validate-images; returns the exit code. Output: summary on `out`, errors and progress on `err`. */
export async function runValidate(a: ValidateArgs, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  const say = (s: string) => out.write(`${s}\n`);
  try {
    checkCombination(a);
    if (a.restore !== undefined) {
      const r = await restore(a.restore);
      say(`restored ${r.restored.length} files to ${r.root} (${r.inPlace.length} already in place)`);
      for (const p of r.conflicts) err.write(`validate-images: ${p}: a different file now sits at the original path; both kept, resolve by hand\n`);
      for (const p of r.missing) err.write(`validate-images: ${p}: neither in the quarantine nor in place (removed by hand?)\n`);
      return r.conflicts.length + r.missing.length > 0 ? EXIT.actionFailed : EXIT.clean;
    }
    const bar = progress(err, 'validate-images');
    const scanOpts: Parameters<typeof scan>[1] = { policy: a.policy, cache: a.cache, pixels: a.pixels, onProgress: (d, t) => bar.update(d, t) };
    if (a['max-pixels'] !== undefined) scanOpts.maxPixels = a['max-pixels'];
    if (a.concurrency) scanOpts.concurrency = a.concurrency;
    let report;
    try {
      report = await scan(a.dir!, scanOpts);
    } finally {
      bar.stop();
    }
    say(formatSummary(report));
    if (report.summary.cacheError) err.write(`validate-images: ${report.summary.cacheError}; set PAWPIPE_CACHE_DIR to a writable folder\n`);
    const only = a.only && a.only.length > 0 ? a.only : undefined;
    const selected = report.entries.filter((e) => e.flagged && (!only || only.includes(e.category)));
    if (a.json !== undefined) {
      try {
        await writeJsonReport(report, a.json);
      } catch (e) {
        throw new ValidationError('io', `--json ${a.json}: cannot write the report (${(e as Error).message}); pick a writable path`, { path: a.json, cause: e });
      }
      say(`report: ${path.resolve(a.json)}`);
    }
    for (const e of selected.slice(0, 20)) say(`  ${e.category.padEnd(21)} ${e.path}: ${e.reason}`);
    if (selected.length > 20) say(`  ... and ${selected.length - 20} more (see --json)`);
    // Notes on files that are not flagged (truncated Exif metadata): worth knowing, nothing to act on.
    const noted = report.entries.filter((e) => e.note !== undefined && !e.flagged);
    for (const e of noted.slice(0, 20)) say(`  ${'note'.padEnd(21)} ${e.path}: ${e.note}`);
    if (noted.length > 20) say(`  ... and ${noted.length - 20} more notes (see --json)`);
    let failed = 0;
    if (a.quarantine !== undefined && selected.length > 0) {
      const q = await quarantine(report, selected, a.quarantine);
      say(`quarantined ${q.moved.length} files; manifest: ${q.manifest} (undo: validate-images --restore ${q.manifest})`);
      for (const f of q.failed) err.write(`validate-images: ${f.path}: not moved (${f.error})\n`);
      failed = q.failed.length;
    } else if (a.delete && selected.length > 0) {
      const d = await deleteFiles(report.root, selected);
      say(`deleted ${d.deleted.length} files`);
      for (const f of d.failed) err.write(`validate-images: ${f.path}: not deleted (${f.error})\n`);
      failed = d.failed.length;
    }
    if (failed > 0) return EXIT.actionFailed;
    return selected.length > 0 ? EXIT.flagged : EXIT.clean;
  } catch (e) {
    if (e instanceof ValidationError) {
      err.write(`validate-images: ${e.message}\n`);
      return e.code === 'io' || e.code === 'conflict' ? EXIT.actionFailed : EXIT.usage;
    }
    throw e;
  }
}

/** The yargs command, also mounted by apps/cli. Sets process.exitCode (see EXIT). */
export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate-images [dir]',
  describe: 'Find the files in an image folder that would break or silently spoil training',
  builder,
  handler: async (argv) => {
    process.exitCode = await runValidate(argv);
  },
};
