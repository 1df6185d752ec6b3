import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { defaultDemoDir, DemoDataError, ensureDemoData, generateDemoData, MANIFEST_NAME, readDemoManifest } from '../src';

const tmp = () => fsp.mkdtemp(path.join(os.tmpdir(), 'pawpipe-demo-'));
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

async function hashes(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const cls of (await fsp.readdir(root)).filter((c) => !c.startsWith('.'))) {
    for (const f of await fsp.readdir(path.join(root, cls))) {
      out[`${cls}/${f}`] = createHash('sha256').update(await fsp.readFile(path.join(root, cls, f))).digest('hex');
    }
  }
  return out;
}

describe('generateDemoData', () => {
  let a: string;
  beforeAll(async () => {
    a = path.join(await tmp(), 'pets');
    dirs.push(path.dirname(a));
    await generateDemoData({ outDir: a, perClass: 12, seed: 7 });
  });

  test('writes class folders named like Kaggle (0.jpg, 1.jpg, ...) plus the planted files', async () => {
    expect((await fsp.readdir(a)).sort()).toEqual(['.pawpipe-demo.json', 'Cat', 'Dog']);
    const m = (await readDemoManifest(a))!;
    const planted = new Set(m.planted.map((p) => p.path));
    const pictures = Object.keys(await hashes(a)).filter((p) => !planted.has(p));
    expect(pictures.filter((p) => p.startsWith('Cat/')).sort((x, y) => parseInt(x.slice(4)) - parseInt(y.slice(4)))).toEqual(
      Array.from({ length: 12 }, (_, i) => `Cat/${i}.jpg`),
    );
    expect(pictures).toHaveLength(24);
    expect(m.files).toBe(24 + m.planted.length);
    expect(planted).toEqual(new Set([...planted].filter((p) => existsSync(path.join(a, p)))));
    expect([...planted]).toEqual(expect.arrayContaining(['Cat/666.jpg', 'Dog/11702.jpg', 'Cat/Thumbs.db', 'Dog/Thumbs.db']));
  });

  test('pictures are JFIF JPEGs between 150 and 500 pixels a side, sizes varying', async () => {
    const m = (await readDemoManifest(a))!;
    const planted = new Set(m.planted.map((p) => p.path));
    const sizes = new Set<string>();
    for (const rel of Object.keys(await hashes(a)).filter((p) => !planted.has(p))) {
      const buf = await fsp.readFile(path.join(a, rel));
      expect(buf.subarray(6, 10).toString('latin1')).toBe('JFIF');
      const meta = await sharp(buf).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBeGreaterThanOrEqual(150);
      expect(meta.width).toBeLessThanOrEqual(500);
      expect(meta.height).toBeGreaterThanOrEqual(150);
      expect(meta.height).toBeLessThanOrEqual(500);
      sizes.add(`${meta.width}x${meta.height}`);
    }
    expect(sizes.size).toBeGreaterThan(20);
  });

  test('the same seed gives the same bytes; another seed does not', async () => {
    const b = path.join(path.dirname(a), 'again');
    await generateDemoData({ outDir: b, perClass: 12, seed: 7 });
    expect(await hashes(b)).toEqual(await hashes(a));
    const c = path.join(path.dirname(a), 'other');
    await generateDemoData({ outDir: c, perClass: 12, seed: 8 });
    const ha = await hashes(a);
    const hc = await hashes(c);
    expect(hc['Cat/0.jpg']).not.toBe(ha['Cat/0.jpg']);
  });

  test('any classes, each with its own folder; plantBroken false plants nothing', async () => {
    const d = path.join(path.dirname(a), 'three');
    const r = await generateDemoData({ outDir: d, perClass: 3, seed: 1, classes: ['Cat', 'Dog', 'Rabbit'], plantBroken: false });
    expect(r.manifest).toEqual([]);
    expect(r.files).toBe(9);
    expect((await fsp.readdir(path.join(d, 'Rabbit'))).sort()).toEqual(['0.jpg', '1.jpg', '2.jpg']);
  });

  test('refuses a non-empty folder it did not make, unless forced; regenerates its own', async () => {
    const d = path.join(path.dirname(a), 'users');
    await fsp.mkdir(d);
    await fsp.writeFile(path.join(d, 'precious.txt'), 'mine');
    await expect(generateDemoData({ outDir: d, perClass: 2 })).rejects.toMatchObject({ code: 'not-empty' });
    await generateDemoData({ outDir: d, perClass: 2, force: true });
    expect(await fsp.readFile(path.join(d, 'precious.txt'), 'utf8')).toBe('mine');
    expect(existsSync(path.join(d, 'Cat', '0.jpg'))).toBe(true);
    // A folder it made itself is replaced without --force.
    const r = await generateDemoData({ outDir: a, perClass: 2, seed: 7, plantBroken: false });
    expect(r.files).toBe(4);
    expect(await fsp.readdir(path.join(a, 'Cat'))).toEqual(['0.jpg', '1.jpg']);
  });

  test.each([
    [{ classes: [] }, /at least one class/],
    [{ classes: ['A', 'B', 'C', 'D', 'E', 'F', 'G'] }, /at most 6 classes/],
    [{ classes: ['Cat', 'Cat'] }, /repeat/],
    [{ classes: ['.hidden'] }, /not a usable folder name/],
    [{ perClass: 0 }, /--per-class 0/],
    [{ seed: 1.5 }, /--seed 1.5/],
  ])('bad options are a usage error: %j', async (opts, message) => {
    const err = await generateDemoData({ outDir: path.join(path.dirname(a), 'bad'), ...opts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DemoDataError);
    expect((err as DemoDataError).code).toBe('usage');
    expect((err as Error).message).toMatch(message);
  });
});

describe('defaultDemoDir and ensureDemoData', () => {
  const saved = process.env.PAWPIPE_DEMO_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.PAWPIPE_DEMO_DIR;
    else process.env.PAWPIPE_DEMO_DIR = saved;
  });

  test('defaults to <repo root>/data/demo, or $PAWPIPE_DEMO_DIR', () => {
    delete process.env.PAWPIPE_DEMO_DIR;
    const d = defaultDemoDir();
    expect(d.endsWith(path.join('data', 'demo'))).toBe(true);
    expect(existsSync(path.join(d, '..', '..', 'pnpm-workspace.yaml'))).toBe(true);
    process.env.PAWPIPE_DEMO_DIR = '/tmp/somewhere/demo';
    expect(defaultDemoDir()).toBe('/tmp/somewhere/demo');
  });

  test('generates once, then returns the existing folder untouched', async () => {
    const d = path.join(await tmp(), 'ensure');
    dirs.push(path.dirname(d));
    expect(await ensureDemoData({ outDir: d, perClass: 3 })).toBe(d);
    const stamp = (await fsp.stat(path.join(d, MANIFEST_NAME))).mtimeMs;
    await ensureDemoData({ outDir: d, perClass: 3 });
    expect((await fsp.stat(path.join(d, MANIFEST_NAME))).mtimeMs).toBe(stamp);
    // Other settings regenerate.
    await ensureDemoData({ outDir: d, perClass: 4 });
    expect((await readDemoManifest(d))!.perClass).toBe(4);
  });
});
