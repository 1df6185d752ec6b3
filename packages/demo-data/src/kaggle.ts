/**
 * A Kaggle-shaped folder: PetImages' size, header, colour and breakage mix (kaggle-plan.ts) at
 * any scale, e.g. 12,500 per class like the real one. Deterministic by seed; written to a
 * staging folder and renamed into place; a manifest lists the make-up and every broken file.
 */
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DemoDataError } from './errors';
import { MANIFEST_NAME, prepareTarget } from './generate';
import { kaggleRng, planKaggleFile, type KaggleBroken, type KaggleRates, KAGGLE_RATES } from './kaggle-plan';
import { makeKaggleFile, type KaggleJob } from './kaggle-picture';
import { PicturePool } from './picture-pool';
import { Rng } from './rng';
import { SHAPES } from './shapes';

export interface KaggleOptions {
  outDir: string;
  /** Files per class (PetImages: 12,500). */
  perClass: number;
  seed?: number;
  classes?: string[];
  /** Override the per-file rates (tests plant more broken files in small folders). */
  rates?: Partial<KaggleRates>;
  force?: boolean;
}

export interface KaggleManifest {
  generator: '@pawpipe/demo-data';
  shape: 'kaggle';
  version: number;
  seed: number;
  classes: string[];
  perClass: number;
  rates: KaggleRates;
  /** Image files (Thumbs.db not counted). */
  files: number;
  counts: {
    landscape500x375: number;
    portrait375x500: number;
    over500: number;
    under500: number;
    exifOnly: number;
    greyscale: number;
    cmyk: number;
    broken: number;
  };
  /** Every file that is not a decodable image, by kind. */
  broken: Array<{ path: string; kind: Exclude<KaggleBroken, 'none'> }>;
}

export const KAGGLE_MANIFEST_VERSION = 1;

/** Same class hash as the demo pictures (generate.ts), so a class draws the same animal. */
const seedOf = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);

export async function generateKaggleShaped(opts: KaggleOptions): Promise<{ outDir: string; manifest: KaggleManifest }> {
  const classes = opts.classes ?? ['Cat', 'Dog'];
  const seed = opts.seed ?? 1337;
  const rates: KaggleRates = { ...KAGGLE_RATES, ...opts.rates };
  if (!Number.isInteger(opts.perClass) || opts.perClass < 1) {
    throw new DemoDataError('usage', `--per-class ${opts.perClass}: needs a whole number of at least 1`);
  }
  if (!Number.isInteger(seed)) throw new DemoDataError('usage', `--seed ${seed}: needs a whole number`);
  if (classes.length === 0 || classes.length > SHAPES.length) {
    throw new DemoDataError('usage', `--classes: give 1 to ${SHAPES.length} class names, e.g. --classes Cat,Dog`);
  }
  const outDir = path.resolve(opts.outDir);
  const inPlace = (await prepareTarget(outDir, classes, !!opts.force)) === 'in-place';
  const staging = inPlace ? outDir : `${outDir}.partial-${process.pid}-${Date.now()}`;
  try {
    await fsp.mkdir(staging, { recursive: true });
    const jobs: KaggleJob[] = [];
    const counts = { landscape500x375: 0, portrait375x500: 0, over500: 0, under500: 0, exifOnly: 0, greyscale: 0, cmyk: 0, broken: 0 };
    const broken: KaggleManifest['broken'] = [];
    for (const [cls, name] of classes.entries()) {
      await fsp.mkdir(path.join(staging, name));
      // Kaggle's class folders each hold a Windows thumbnail cache, which Keras does not list.
      await fsp.writeFile(path.join(staging, name, 'Thumbs.db'), new Rng(seed, 0x7468, cls).bytes(4096));
      for (let n = 0; n < opts.perClass; n++) {
        const job: KaggleJob = { seed, classSeed: seedOf(name), cls, n, file: path.join(staging, name, `${n}.jpg`), rates };
        jobs.push(job);
        const p = planKaggleFile(kaggleRng(seed, job.classSeed, cls, n), cls, n, rates);
        if (p.broken !== 'none') {
          counts.broken++;
          broken.push({ path: `${name}/${n}.jpg`, kind: p.broken });
          if (p.broken === 'empty' || p.broken === 'random-bytes') continue;
        }
        if (p.width === 500 && p.height === 375) counts.landscape500x375++;
        else if (p.width === 375 && p.height === 500) counts.portrait375x500++;
        else if (Math.max(p.width, p.height) > 500) counts.over500++;
        else if (Math.max(p.width, p.height) < 500) counts.under500++;
        if (p.header === 'exif-only') counts.exifOnly++;
        if (p.colour === 'greyscale') counts.greyscale++;
        if (p.colour === 'cmyk') counts.cmyk++;
      }
    }
    const threads = jobs.length >= 64 ? PicturePool.create(os.availableParallelism()) : undefined;
    try {
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          await (threads ? threads.run(job, true) : makeKaggleFile(job));
        }
      };
      await Promise.all(Array.from({ length: threads ? threads.size * 3 : 4 }, worker));
    } finally {
      await threads?.close();
    }
    const manifest: KaggleManifest = {
      generator: '@pawpipe/demo-data',
      shape: 'kaggle',
      version: KAGGLE_MANIFEST_VERSION,
      seed,
      classes,
      perClass: opts.perClass,
      rates,
      files: jobs.length,
      counts,
      broken,
    };
    await fsp.writeFile(path.join(staging, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    if (!inPlace) {
      await fsp.rmdir(outDir).catch(() => undefined);
      await fsp.rename(staging, outDir);
    }
    return { outDir, manifest };
  } catch (e) {
    if (!inPlace && existsSync(staging)) await fsp.rm(staging, { recursive: true, force: true });
    if (e instanceof DemoDataError) throw e;
    throw new DemoDataError('io', `${opts.outDir}: cannot write the Kaggle-shaped folder (${(e as Error).message})`, { path: opts.outDir, cause: e });
  }
}

/** Reads a Kaggle-shaped folder's manifest, or undefined when the folder has none. */
export async function readKaggleManifest(dir: string): Promise<KaggleManifest | undefined> {
  try {
    const m = JSON.parse(await fsp.readFile(path.join(dir, MANIFEST_NAME), 'utf8')) as KaggleManifest;
    return m.generator === '@pawpipe/demo-data' && m.shape === 'kaggle' ? m : undefined;
  } catch {
    return undefined;
  }
}
