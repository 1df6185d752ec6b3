import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DemoDataError } from './errors';
import { makePicture } from './picture';
import { PicturePool } from './picture-pool';
import { decodes, flaggedBy, RECIPES, type PlantedFile } from './planted';
import { Rng } from './rng';
import { SHAPES } from './shapes';

export interface DemoOptions {
  outDir: string;
  /** Class folder names; each gets its own head shape (cat, dog, rabbit, bear, mouse, bird). */
  classes?: string[];
  /** Good pictures per class. */
  perClass?: number;
  seed?: number;
  /** Plant the broken and odd files (default true). */
  plantBroken?: boolean;
  /** Write into a non-empty folder this package did not make (its class folders are replaced). */
  force?: boolean;
}

export interface DemoResult {
  outDir: string;
  /** Files written, planted ones included. */
  files: number;
  manifest: PlantedFile[];
}

/** Written inside the demo folder; hidden, so Keras and validate-images skip it. */
export const MANIFEST_NAME = '.pawpipe-demo.json';
/** 2: planted files carry training and decodes; OS/2 and palette-overrun BMPs, odd PNGs, truncated Exif. */
export const MANIFEST_VERSION = 2;

export interface DemoManifest {
  generator: '@pawpipe/demo-data';
  /** MANIFEST_VERSION: a folder made under other planting rules is made again. */
  version: number;
  seed: number;
  classes: string[];
  perClass: number;
  plantBroken: boolean;
  files: number;
  planted: PlantedFile[];
}

/** 1,000 per class: 2,000 pictures, the size the demo training and benchmarks are tuned for. */
export const DEFAULTS = { classes: ['Cat', 'Dog'], perClass: 1000, seed: 1337, plantBroken: true } as const;

/** Sets of at least this many pictures are drawn on worker threads (one per core). */
const THREADS_FROM = 200;

/** A class name's hash: part of each picture's random stream. */
const seedOf = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);

function checkOptions(o: DemoOptions): Required<Omit<DemoOptions, 'force'>> {
  const classes = o.classes ?? [...DEFAULTS.classes];
  const perClass = o.perClass ?? DEFAULTS.perClass;
  const seed = o.seed ?? DEFAULTS.seed;
  if (classes.length === 0) throw new DemoDataError('usage', '--classes: give at least one class name, e.g. --classes Cat,Dog');
  if (classes.length > SHAPES.length) throw new DemoDataError('usage', `--classes: at most ${SHAPES.length} classes (one distinct head shape each); got ${classes.length}`);
  for (const c of classes) {
    if (!c || c.startsWith('.') || /[/\\\0]/.test(c) || c === '..') throw new DemoDataError('usage', `--classes: "${c}" is not a usable folder name; use plain names like Cat,Dog`);
  }
  if (new Set(classes).size !== classes.length) throw new DemoDataError('usage', `--classes: names repeat in ${classes.join(',')}; give each class once`);
  if (!Number.isInteger(perClass) || perClass < 1) throw new DemoDataError('usage', `--per-class ${perClass}: needs a whole number of at least 1`);
  if (!Number.isInteger(seed)) throw new DemoDataError('usage', `--seed ${seed}: needs a whole number`);
  return { outDir: path.resolve(o.outDir), classes, perClass, seed, plantBroken: o.plantBroken ?? DEFAULTS.plantBroken };
}

export async function readDemoManifest(dir: string): Promise<DemoManifest | undefined> {
  try {
    const m = JSON.parse(await fsp.readFile(path.join(dir, MANIFEST_NAME), 'utf8')) as DemoManifest;
    return m.generator === '@pawpipe/demo-data' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` over `items` with `limit` in flight (drawing is JS, encoding runs on libuv's pool). */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Makes a Keras-style folder: one subfolder per class with pictures named 0.jpg, 1.jpg, ...,
 * plus the planted files and a hidden manifest. Deterministic for a seed. Written to a sibling
 * staging folder and renamed into place, so a reader never sees half a data set.
 */
export async function generateDemoData(opts: DemoOptions): Promise<DemoResult> {
  const o = checkOptions(opts);
  const inPlace = (await prepareTarget(o.outDir, o.classes, !!opts.force)) === 'in-place';
  const staging = inPlace ? o.outDir : `${o.outDir}.partial-${process.pid}-${Date.now()}`;
  try {
    await fsp.mkdir(staging, { recursive: true });
    for (const c of o.classes) await fsp.mkdir(path.join(staging, c));

    // Names: planted files with Kaggle's own names reserve them; pictures count up around them.
    const recipes = o.plantBroken ? RECIPES.map((r) => ({ ...r, cls: r.cls % o.classes.length })) : [];
    const used = o.classes.map(() => new Set<string>());
    const plan: Array<{ recipe: (typeof recipes)[number]; rel: string; index: number }> = [];
    for (const [i, r] of recipes.entries()) {
      if (r.name && !used[r.cls]!.has(r.name)) {
        used[r.cls]!.add(r.name);
        plan.push({ recipe: r, rel: `${o.classes[r.cls]}/${r.name}`, index: i });
      }
    }
    const pictures: Array<{ cls: number; n: number; rel: string }> = [];
    const nextFree = o.classes.map(() => 0);
    const take = (cls: number, ext: string) => {
      let n = nextFree[cls]!;
      while (used[cls]!.has(`${n}${ext}`) || used[cls]!.has(`${n}.jpg`)) n++;
      nextFree[cls] = n + 1;
      used[cls]!.add(`${n}${ext}`);
      return n;
    };
    for (let cls = 0; cls < o.classes.length; cls++) {
      for (let k = 0; k < o.perClass; k++) {
        const n = take(cls, '.jpg');
        pictures.push({ cls, n, rel: `${o.classes[cls]}/${n}.jpg` });
      }
    }
    for (const [i, r] of recipes.entries()) {
      if (!r.name) plan.push({ recipe: r, rel: `${o.classes[r.cls]}/${take(r.cls, r.ext ?? '.jpg')}${r.ext ?? '.jpg'}`, index: i });
    }

    // One random stream per picture: the same bytes whatever the thread, order or concurrency.
    const threads = pictures.length >= THREADS_FROM ? PicturePool.create(os.availableParallelism()) : undefined;
    try {
      await pool(pictures, threads ? threads.size * 2 : 4, async (p) => {
        const job = { seed: o.seed, classSeed: seedOf(o.classes[p.cls]!), cls: p.cls, n: p.n, file: path.join(staging, ...p.rel.split('/')) };
        await (threads ? threads.run(job) : makePicture(job));
      });
    } finally {
      await threads?.close();
    }
    const manifest: PlantedFile[] = [];
    for (const { recipe, rel, index } of plan) {
      const rng = new Rng(o.seed, 0x5eed, index);
      await fsp.writeFile(path.join(staging, ...rel.split('/')), await recipe.make(rng, SHAPES[recipe.cls]!));
      manifest.push({
        path: rel, kind: recipe.kind, expected: recipe.expected, flaggedBy: flaggedBy(recipe), training: recipe.training, decodes: decodes(recipe),
        note: recipe.note ?? false,
        description: recipe.description,
      });
    }
    manifest.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const files = pictures.length + manifest.length;
    const m: DemoManifest = { generator: '@pawpipe/demo-data', version: MANIFEST_VERSION, seed: o.seed, classes: o.classes, perClass: o.perClass, plantBroken: o.plantBroken, files, planted: manifest };
    await fsp.writeFile(path.join(staging, MANIFEST_NAME), `${JSON.stringify(m, null, 2)}\n`);
    if (!inPlace) {
      await fsp.rmdir(o.outDir).catch(() => undefined); // an empty folder we are about to replace
      await fsp.rename(staging, o.outDir);
    }
    return { outDir: o.outDir, files, manifest };
  } catch (e) {
    if (!inPlace) await fsp.rm(staging, { recursive: true, force: true });
    if (e instanceof DemoDataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new DemoDataError('not-empty', `${opts.outDir}: another process filled this folder meanwhile; run again`, { path: opts.outDir, cause: e });
    }
    throw new DemoDataError('io', `${opts.outDir}: cannot write the demo data (${(e as Error).message})`, { path: opts.outDir, cause: e });
  }
}

/**
 * Empties `dir` for a new demo set: a folder this package made (it holds our manifest) is
 * cleared; any other non-empty folder is refused unless `force`, and then only its class
 * folders are replaced.
 */
export async function prepareTarget(dir: string, classes: string[], force: boolean): Promise<'staging' | 'in-place'> {
  if (!existsSync(dir)) return 'staging';
  const st = await fsp.stat(dir);
  if (!st.isDirectory()) throw new DemoDataError('usage', `--out ${dir}: is a file; pass a folder path`, { path: dir });
  const entries = await fsp.readdir(dir);
  if (entries.length === 0) return 'staging';
  const ours = await readDemoManifest(dir);
  if (ours) {
    await fsp.rm(dir, { recursive: true, force: true });
    return 'staging';
  }
  if (!force) {
    throw new DemoDataError('not-empty', `--out ${dir}: folder is not empty and was not made by demo-data; pick an empty folder or add --force to replace its class folders`, { path: dir });
  }
  for (const c of classes) await fsp.rm(path.join(dir, c), { recursive: true, force: true });
  return 'in-place'; // the user's other files stay; ours are written next to them
}
