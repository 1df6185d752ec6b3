import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { openDataset, openSplit, type DatasetOptions } from '../src/dataset';
import { DataPipelineError } from '../src/errors';
import { indexDirectory } from '../src/index-directory';
import { bmp24, makeImageFolder, rgbImage, tempDir, writePng, writeSolid } from './fixtures';

let root: string;
// 3 classes x 7 images of 12x10 solid colours; colour (c * 100 + 20, i * 7, 200 - i * 5).
beforeAll(async () => {
  root = await tempDir();
  await makeImageFolder(root, ['a', 'b', 'c'], 7);
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

const base = (extra: Partial<DatasetOptions> = {}): DatasetOptions => ({
  dataDir: root,
  imageSize: [4, 5],
  batchSize: 4,
  seed: 1337,
  validationSplit: 0.25,
  subset: 'training',
  validate: false,
  log: false,
  ...extra,
});

/** The colour each file was written with, read back from pixel 0 of its image in a batch. */
const firstPixel = (images: Uint8Array, i: number, h: number, w: number) => [...images.subarray(i * h * w * 3, i * h * w * 3 + 3)];

describe('batches', () => {
  it('have Keras shapes and labels for every label mode', async () => {
    const ds = await openDataset(base());
    expect(ds.size).toBe(21 - Math.trunc(0.25 * 21));
    expect(ds.numBatches).toBe(Math.ceil(16 / 4));
    const b = await ds.batch(0, 0);
    expect(b.shape).toEqual([4, 4, 5, 3]);
    expect(b.images).toHaveLength(4 * 4 * 5 * 3);
    expect(b.labels).toEqual(Float32Array.from(b.paths.map((p) => ['a', 'b', 'c'].indexOf(p[0]!))));
    // Pixels are the file's colour: solid images stay solid through resizing.
    b.paths.forEach((p, i) => {
      const idx = Number(path.basename(p, '.png'));
      const c = ['a', 'b', 'c'].indexOf(p[0]!);
      expect(firstPixel(b.images, i, 4, 5)).toEqual([c * 100 + 20, idx * 7, 200 - idx * 5]);
    });
    const cat = await openDataset(base({ labelMode: 'categorical' }));
    const bc = await cat.batch(0, 0);
    expect(bc.labels).toHaveLength(4 * 3);
    for (let i = 0; i < 4; i++) {
      const row = [...bc.labels.subarray(i * 3, i * 3 + 3)];
      expect(row.reduce((s, v) => s + v, 0)).toBe(1);
      expect(row.indexOf(1)).toBe(b.labels[i]);
    }
    const last = await ds.batch(0, ds.numBatches - 1);
    expect(last.shape[0]).toBe(16 - 4 * 3);
  });

  it('openSplit indexes once and gives disjoint training and validation sets', async () => {
    const lines: string[] = [];
    const { training, validation } = await openSplit({ dataDir: root, imageSize: [4, 5], seed: 1337, validationSplit: 0.25, validate: false, log: (l) => lines.push(l), augment: { flip: 'horizontal' } });
    expect(lines).toEqual(['Found 21 files belonging to 3 classes.', 'Using 16 files for training.', 'Using 5 files for validation.']);
    const all = [...training.files, ...validation.files].map((f) => f.path);
    expect(new Set(all).size).toBe(21);
    expect(training.augments).toBe(true);
    expect(validation.augments).toBe(false);
    const alone = await openDataset(base());
    expect(alone.files).toEqual(training.files);
  });

  it('binary labels need exactly two classes', async () => {
    const err = await openDataset(base({ labelMode: 'binary' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataPipelineError);
    expect((err as DataPipelineError).code).toBe('binary-needs-two-classes');
    expect((err as Error).message).toBe('When passing `labelMode="binary"`, there must be exactly 2 classNames. Received: classNames=["a","b","c"]');
    const two = await openDataset(base({ labelMode: 'binary', classNames: ['b', 'c'], validationSplit: 0.2 }));
    const b = await two.batch(0, 0);
    for (let i = 0; i < b.shape[0]; i++) expect(b.labels[i]).toBe(b.paths[i]!.startsWith('c/') ? 1 : 0);
  });

  it('are deterministic per (seed, epoch, index), reshuffled per epoch, and cover the subset once', async () => {
    const one = await openDataset(base({ augment: { flip: 'horizontal', rotation: 0.1 } }));
    const two = await openDataset(base({ augment: { flip: 'horizontal', rotation: 0.1 } }));
    const x = await one.batch(3, 2);
    const y = await two.batch(3, 2); // computed alone, on a fresh dataset
    expect(y.paths).toEqual(x.paths);
    expect(Buffer.from(y.images).equals(Buffer.from(x.images))).toBe(true);
    const e0 = [] as string[];
    const e1 = [] as string[];
    for (let i = 0; i < one.numBatches; i++) {
      e0.push(...(await one.batch(0, i)).paths);
      e1.push(...(await one.batch(1, i)).paths);
    }
    expect(e0).not.toEqual(e1);
    expect([...e0].sort()).toEqual(one.files.map((f) => f.path).sort());
    expect([...e1].sort()).toEqual([...e0].sort());
    // Validation keeps the split order and is never augmented.
    const val = await openDataset(base({ subset: 'validation', augment: { flip: 'horizontal', rotation: 0.2 } }));
    expect(val.augments).toBe(false);
    expect((await val.batch(0, 0)).paths).toEqual((await val.batch(5, 0)).paths);
    expect((await val.batch(0, 0)).paths).toEqual(val.files.slice(0, 4).map((f) => f.path));
  });

  it('shard and resume by batch index', async () => {
    const ds = await openDataset(base());
    const collect = async (it: AsyncIterable<{ index: number; paths: string[] }>) => {
      const out: Array<{ index: number; paths: string[] }> = [];
      for await (const b of it) out.push({ index: b.index, paths: b.paths });
      return out;
    };
    const all = await collect(ds.batches(2));
    expect(all.map((b) => b.index)).toEqual([0, 1, 2, 3]);
    const s0 = await collect(ds.batches(2, { shard: { index: 0, count: 2 } }));
    const s1 = await collect(ds.batches(2, { shard: { index: 1, count: 2 } }));
    expect(s0.map((b) => b.index)).toEqual([0, 2]);
    expect(s1.map((b) => b.index)).toEqual([1, 3]);
    expect([...s0, ...s1].sort((a, b) => a.index - b.index)).toEqual(all);
    expect(await collect(ds.batches(2, { start: 2 }))).toEqual(all.slice(2));
  });

  it('augment training batches deterministically, differently from the plain images', async () => {
    // A ramp image so rotation and flips change pixels.
    const dir = await tempDir();
    const ramp = rgbImage(16, 16, (x, y) => [x * 15, y * 15, 128]);
    for (const c of ['p', 'q']) for (let i = 0; i < 4; i++) await writePng(path.join(dir, c, `${i}.png`), 16, 16, ramp);
    const opts = { dataDir: dir, imageSize: [16, 16] as [number, number], batchSize: 8, seed: 5, validate: false, log: false as const };
    const plain = await openDataset(opts);
    const aug = await openDataset({ ...opts, augment: { flip: 'horizontal_and_vertical', rotation: 0.25 } });
    const p = await plain.batch(0, 0);
    const a1 = await aug.batch(0, 0);
    const a2 = await aug.batch(0, 0);
    const a3 = await aug.batch(1, 0);
    expect(Buffer.from(a1.images).equals(Buffer.from(a2.images))).toBe(true);
    expect(Buffer.from(a1.images).equals(Buffer.from(p.images))).toBe(false);
    expect(Buffer.from(a1.images).equals(Buffer.from(a3.images))).toBe(false);
    // Every plain image is the ramp itself.
    expect(Buffer.from(p.images.subarray(0, 16 * 16 * 3)).equals(Buffer.from(ramp))).toBe(true);
    await fs.rm(dir, { recursive: true });
  });
});

describe('decoding', () => {
  it('turns greyscale, alpha, palette GIF and BMP into RGB', async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, 'x'));
    await sharp(Buffer.from([0, 50, 100, 150, 200, 250]), { raw: { width: 3, height: 2, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(dir, 'x', 'grey.png'));
    await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255, 70, 80, 90, 128]), { raw: { width: 3, height: 1, channels: 4 } }).png().toFile(path.join(dir, 'x', 'rgba.png'));
    await writeSolid(path.join(dir, 'x', 'pal.gif'), [255, 0, 0], 3, 2);
    await fs.writeFile(path.join(dir, 'x', 'win.bmp'), bmp24(3, 2, (x, y) => [x * 100, y * 100, 7]));
    const ds = await openDataset({ dataDir: dir, imageSize: [2, 3], batchSize: 4, shuffle: false, validate: false, log: false, interpolation: 'nearest' });
    const b = await ds.batch(0, 0);
    expect(b.paths).toEqual(['x/grey.png', 'x/pal.gif', 'x/rgba.png', 'x/win.bmp']);
    const img = (i: number) => [...b.images.subarray(i * 18, (i + 1) * 18)];
    expect(img(0)).toEqual([0, 0, 0, 50, 50, 50, 100, 100, 100, 150, 150, 150, 200, 200, 200, 250, 250, 250]);
    expect(img(1)).toEqual(new Array(6).fill([255, 0, 0]).flat());
    // Alpha dropped, not composited (decode_png(channels=3)); 1 row stretched to 2.
    expect(img(2)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(img(3)).toEqual([0, 0, 7, 100, 0, 7, 200, 0, 7, 0, 100, 7, 100, 100, 7, 200, 100, 7]);
    await fs.rm(dir, { recursive: true });
  });

  it('skips a file that breaks after indexing and reports it in the batch', async () => {
    const dir = await tempDir();
    await makeImageFolder(dir, ['a', 'b'], 3);
    const ds = await openDataset({ dataDir: dir, imageSize: [4, 4], batchSize: 6, shuffle: false, validate: false, log: false, augment: { rotation: 0.1 } });
    const before = await ds.batch(0, 0);
    await fs.writeFile(path.join(dir, 'a', '001.png'), 'not a png any more');
    await fs.rm(path.join(dir, 'b', '002.png'));
    const after = await ds.batch(0, 0);
    expect(after.skipped.sort()).toEqual(['a/001.png', 'b/002.png']);
    expect(after.skippedReasons).toHaveLength(2);
    expect(after.shape[0]).toBe(4);
    expect(after.paths).toEqual(before.paths.filter((p) => !after.skipped.includes(p)));
    // The other images keep their own augmentation draws.
    const keep = before.paths.map((p, i) => [p, i] as const).filter(([p]) => !after.skipped.includes(p));
    keep.forEach(([, i], k) => {
      const n = 4 * 4 * 3;
      expect(Buffer.from(after.images.subarray(k * n, (k + 1) * n)).equals(Buffer.from(before.images.subarray(i * n, (i + 1) * n)))).toBe(true);
    });
    expect(ds.stats().skipped).toBe(2);
    await fs.rm(dir, { recursive: true });
  });

  it('leaves out files image-validation flags (real scan)', async () => {
    const dir = await tempDir();
    const cacheDir = await tempDir();
    const old = process.env['PAWPIPE_CACHE_DIR'];
    process.env['PAWPIPE_CACHE_DIR'] = cacheDir;
    try {
      await makeImageFolder(dir, ['Cat', 'Dog'], 3, '.jpg');
      await fs.writeFile(path.join(dir, 'Cat', 'text.jpg'), 'hello, not a jpeg');
      const good = await fs.readFile(path.join(dir, 'Dog', '000.jpg'));
      await fs.writeFile(path.join(dir, 'Dog', 'cut.jpg'), good.subarray(0, Math.floor(good.length / 2)));
      const lines: string[] = [];
      const r = await indexDirectory(dir, { seed: 1, log: (l) => lines.push(l) });
      expect(r.excluded.map((e) => e.path).sort()).toEqual(['Cat/text.jpg', 'Dog/cut.jpg']);
      expect(r.training).toHaveLength(6);
      expect(lines[0]).toMatch(/^Left out 2 files \(not-an-image 1, damaged 1\); kept 0 with a warning \(policy strict\); report: /);
      expect(r.reportPath!.startsWith(cacheDir)).toBe(true);
    } finally {
      if (old === undefined) delete process.env['PAWPIPE_CACHE_DIR'];
      else process.env['PAWPIPE_CACHE_DIR'] = old;
      await fs.rm(dir, { recursive: true });
      await fs.rm(cacheDir, { recursive: true });
    }
  });
});

describe('cache', () => {
  it('serves later epochs from memory and reads a changed file again', async () => {
    const dir = await tempDir();
    await makeImageFolder(dir, ['a', 'b'], 3);
    const ds = await openDataset({ dataDir: dir, imageSize: [4, 4], batchSize: 6, shuffle: false, validate: false, log: false });
    await ds.batch(0, 0);
    expect(ds.stats().decoded).toBe(6);
    await ds.batch(1, 0);
    expect(ds.stats().decoded).toBe(6);
    expect(ds.stats().cache!.memoryHits).toBe(6);
    const file = path.join(dir, 'a', '000.png');
    await writeSolid(file, [1, 2, 3], 12, 10);
    const later = new Date(Date.now() + 5000);
    await fs.utimes(file, later, later);
    const b = await ds.batch(2, 0);
    expect(ds.stats().decoded).toBe(7);
    expect(firstPixel(b.images, b.paths.indexOf('a/000.png'), 4, 4)).toEqual([1, 2, 3]);
    await fs.rm(dir, { recursive: true });
  });

  it('keeps to its memory bound and reuses a disk cache across datasets', async () => {
    const dir = await tempDir();
    const cacheDir = path.join(await tempDir(), 'images');
    await makeImageFolder(dir, ['a', 'b'], 3);
    const opts = { dataDir: dir, imageSize: [4, 4] as [number, number], batchSize: 6, shuffle: false, validate: false, log: false as const };
    const small = await openDataset({ ...opts, cache: { memoryBytes: 2 * 48 } });
    await small.batch(0, 0);
    expect(small.stats().cache!.entries).toBe(2);
    expect(small.stats().cache!.bytes).toBeLessThanOrEqual(96);
    const first = await openDataset({ ...opts, cache: { dir: cacheDir } });
    const b1 = await first.batch(0, 0);
    expect((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.rgb'))).toHaveLength(6);
    const second = await openDataset({ ...opts, cache: { dir: cacheDir } });
    const b2 = await second.batch(0, 0);
    expect(second.stats().decoded).toBe(0);
    expect(second.stats().cache!.diskHits).toBe(6);
    expect(Buffer.from(b2.images).equals(Buffer.from(b1.images))).toBe(true);
    await fs.rm(dir, { recursive: true });
    await fs.rm(path.dirname(cacheDir), { recursive: true });
  });

  it('below the data size, keeps the images admitted first, so a reshuffled epoch hits bound / data of them', async () => {
    const dir = await tempDir();
    await makeImageFolder(dir, ['a', 'b'], 6);
    // 12 images of 4x4x3 = 48 bytes, a bound of 4 of them, batches of 3 over reshuffled epochs.
    const ds = await openDataset({ dataDir: dir, imageSize: [4, 4], batchSize: 3, seed: 9, validate: false, log: false, cache: { memoryBytes: 4 * 48 } });
    for (let i = 0; i < ds.numBatches; i++) await ds.batch(0, i);
    const after1 = ds.stats().cache!;
    expect([after1.entries, after1.memoryHits, after1.misses, after1.notAdmitted]).toEqual([4, 0, 12, 8]);
    for (let i = 0; i < ds.numBatches; i++) await ds.batch(1, i);
    const after2 = ds.stats().cache!;
    // Every epoch visits each image once: the 4 kept are hit, whatever the order (LRU would have
    // evicted some of them before their turn).
    expect(after2.memoryHits).toBe(4);
    expect(after2.misses).toBe(12 + 8);
    expect(after2.bytes).toBeLessThanOrEqual(4 * 48);
    await fs.rm(dir, { recursive: true });
  });

  it('refuses a cache folder it cannot use when the dataset opens', async () => {
    const file = path.join(root, 'a', '000.png'); // a file, not a folder
    const err = await openDataset(base({ cache: { dir: path.join(file, 'cache') } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataPipelineError);
    expect((err as DataPipelineError).code).toBe('cache-error');
    expect((err as Error).message).toMatch(/^Cannot use .*cache as the image cache folder .*: choose another cache\.dir$/);
  });
});

describe('prefetch', () => {
  it('prepares ahead but never holds more than `prefetch` unconsumed batches', async () => {
    const ds = await openDataset(base({ batchSize: 1, cache: false }));
    const seen: number[] = [];
    let sawFullBuffer = false;
    for await (const b of ds.batches(0, { prefetch: 3 })) {
      seen.push(b.index);
      await new Promise((r) => setTimeout(r, 25)); // a slow consumer
      const s = ds.stats();
      expect(s.pendingBatches).toBeLessThanOrEqual(3);
      if (s.pendingBatches === 3) sawFullBuffer = true;
    }
    expect(seen).toEqual(Array.from({ length: ds.numBatches }, (_, i) => i));
    expect(ds.stats().maxPendingBatches).toBe(3);
    expect(sawFullBuffer).toBe(true);
    expect(ds.stats().pendingBatches).toBe(0);
  });

  it('with prefetch 0 prepares one batch at a time; an early break releases the buffer', async () => {
    const ds = await openDataset(base({ batchSize: 2 }));
    for await (const b of ds.batches(0, { prefetch: 0 })) {
      void b;
      expect(ds.stats().pendingBatches).toBe(0);
    }
    expect(ds.stats().maxPendingBatches).toBe(1);
    for await (const b of ds.batches(1, { prefetch: 2 })) {
      if (b.index === 1) break;
    }
    expect(ds.stats().pendingBatches).toBe(0);
  });
});

describe('bad options', () => {
  it.each([
    [{ imageSize: [0, 5] }, /Invalid `imageSize` value/],
    [{ imageSize: [4] }, /Invalid `imageSize` value/],
    [{ batchSize: 0 }, '`batchSize` must be a positive integer, received: 0'],
    [{ batchSize: 2.5 }, '`batchSize` must be a positive integer, received: 2.5'],
    [{ labelMode: 'sparse' }, /`labelMode` argument must be one of/],
    [{ interpolation: 'lanczos3' }, /Argument `interpolation` should be one of/],
  ])('refuses %j', async (extra, message) => {
    const err = await openDataset(base(extra as Partial<DatasetOptions>)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataPipelineError);
    expect((err as DataPipelineError).code).toBe('bad-argument');
    expect((err as Error).message).toMatch(message);
  });

  it('refuses batch positions outside the epoch', async () => {
    const ds = await openDataset(base());
    await expect(ds.batch(0, ds.numBatches)).rejects.toThrow(`Batch \`index\` must be an integer in [0, ${ds.numBatches - 1}]`);
    await expect(ds.batch(-1, 0)).rejects.toThrow('`epoch` must be an integer >= 0');
    expect(() => ds.batches(0, { shard: { index: 2, count: 2 } })).toThrow('`shard` must have 0 <= index < count');
  });
});

describe('order without shuffling', () => {
  it('keeps the sorted order in every epoch and crops to the aspect ratio on request', async () => {
    const ds = await openDataset({ dataDir: root, imageSize: [4, 8], batchSize: 5, shuffle: false, validate: false, log: false, cropToAspectRatio: true });
    const sorted = ['a', 'b', 'c'].flatMap((c) => Array.from({ length: 7 }, (_, i) => `${c}/${String(i).padStart(3, '0')}.png`));
    expect(ds.files.map((f) => f.path)).toEqual(sorted);
    expect((await ds.batch(0, 1)).paths).toEqual(sorted.slice(5, 10));
    expect((await ds.batch(7, 1)).paths).toEqual(sorted.slice(5, 10));
    const b = await ds.batch(0, 0);
    expect(b.shape).toEqual([5, 4, 8, 3]);
  });
});
