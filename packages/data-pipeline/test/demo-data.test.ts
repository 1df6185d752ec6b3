import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { generateDemoData, type PlantedFile } from '@pawpipe/demo-data';
import { openDataset, openSplit } from '../src/dataset';
import { indexDirectory } from '../src/index-directory';
import { hasAllowedExtension } from '../src/walk';
import { tempDir } from './fixtures';

// End to end on demo-data's Keras-style folder with Kaggle's kinds of broken files planted.
let dir: string;
let cacheDir: string;
let planted: PlantedFile[];
const oldCache = process.env['PAWPIPE_CACHE_DIR'];

beforeAll(async () => {
  dir = await tempDir();
  cacheDir = await tempDir();
  process.env['PAWPIPE_CACHE_DIR'] = cacheDir;
  planted = (await generateDemoData({ outDir: path.join(dir, 'pets'), perClass: 12, seed: 3 })).manifest;
});
afterAll(async () => {
  if (oldCache === undefined) delete process.env['PAWPIPE_CACHE_DIR'];
  else process.env['PAWPIPE_CACHE_DIR'] = oldCache;
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(cacheDir, { recursive: true, force: true });
});

const indexed = (p: PlantedFile) => hasAllowedExtension(p.path); // what Keras would list at all

describe('the demo folder', () => {
  it('loses exactly the planted files that cannot be trained on, before the split, and keeps the rest', async () => {
    const lines: string[] = [];
    const r = await indexDirectory(path.join(dir, 'pets'), { seed: 1337, validationSplit: 0.2, subset: 'both', log: (l) => lines.push(l) });
    const expected = planted.filter((p) => indexed(p) && p.training === 'left-out').map((p) => p.path).sort();
    const warned = planted.filter((p) => indexed(p) && p.training === 'kept-with-warning').map((p) => p.path).sort();
    expect(expected.length).toBeGreaterThan(5);
    expect(warned.length).toBeGreaterThan(3);
    expect(r.excluded.map((e) => e.path).sort()).toEqual(expected);
    expect(r.keptWithWarning.map((e) => e.path).sort()).toEqual(warned);
    const kept = [...r.training, ...r.validation].map((e) => e.path);
    for (const p of expected) expect(kept).not.toContain(p);
    for (const p of warned) expect(kept).toContain(p);
    expect(lines[0]).toMatch(new RegExp(`^Left out ${expected.length} files \\(.*\\); kept ${warned.length} with a warning \\(`));
    expect(lines[1]).toBe(`Found ${kept.length} files belonging to 2 classes.`);
  });

  it('yields binary batches of the right shape and labels, augmented for training', async () => {
    const { training, validation } = await openSplit({
      dataDir: path.join(dir, 'pets'), seed: 1337, validationSplit: 0.2, imageSize: [64, 64], batchSize: 8,
      labelMode: 'binary', augment: { flip: 'horizontal', rotation: 0.1 }, log: false,
    });
    for (const ds of [training, validation]) {
      let n = 0;
      for await (const b of ds.batches(0)) {
        expect(b.shape).toEqual([b.paths.length, 64, 64, 3]);
        expect(b.images).toHaveLength(b.paths.length * 64 * 64 * 3);
        expect(b.skipped).toEqual([]);
        expect([...b.labels]).toEqual(b.paths.map((p) => (p.startsWith('Dog/') ? 1 : 0)));
        n += b.paths.length;
      }
      expect(n).toBe(ds.size);
    }
  });

  it('without validation, skips the undecodable files batch by batch and never fails', async () => {
    const ds = await openDataset({ dataDir: path.join(dir, 'pets'), imageSize: [32, 32], batchSize: 16, seed: 1, validate: false, log: false });
    const skipped: string[] = [];
    let n = 0;
    for await (const b of ds.batches(0)) {
      skipped.push(...b.skipped);
      n += b.shape[0];
    }
    // TF cannot decode these either; the rest (PNG or BMP under .jpg, extra bytes) decode.
    const undecodable = planted.filter((p) => indexed(p) && p.decodes === false).map((p) => p.path);
    expect(skipped.sort()).toEqual(undecodable.sort());
    expect(n + skipped.length).toBe(ds.size);
  });
});
