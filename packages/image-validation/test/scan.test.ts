import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { reportJson, scan, writeJsonReport, type ScanReport } from '../src';
import * as fx from './fixtures';

let root: string;
let cacheDir: string;

beforeAll(async () => {
  root = await fx.tmpDir('scan');
  cacheDir = await fx.tmpDir('scan-cache');
  await fx.write(root, 'Cat/0.jpg', await fx.jpeg({ seed: 1 }));
  await fx.write(root, 'Cat/1.jpg', await fx.jpeg({ seed: 2 }));
  await fx.write(root, 'Cat/666.jpg', Buffer.alloc(0));
  await fx.write(root, 'Cat/Thumbs.db', fx.thumbsDb());
  await fx.write(root, 'Cat/nested/deeper/2.jpg', await fx.jpeg({ seed: 3 }));
  await fx.write(root, 'Dog/0.jpg', await fx.png());
  await fx.write(root, 'Dog/1.jpg', await fx.truncatedJpeg());
  await fx.write(root, 'Dog/.DS_Store', 'junk');
  await fx.write(root, '.hidden/0.jpg', Buffer.alloc(0));
  await fx.write(root, 'README.txt', 'about this folder\n');
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
  await fsp.rm(cacheDir, { recursive: true, force: true });
});

describe('scan', () => {
  let report: ScanReport;
  const progress: Array<[number, number]> = [];
  beforeAll(async () => {
    report = await scan(root, { cache: cacheDir, onProgress: (d, t) => progress.push([d, t]) });
  });

  test('walks class folders recursively in sorted order, skipping hidden entries', () => {
    expect(report.entries.map((e) => e.path)).toEqual([
      'Cat/0.jpg', 'Cat/1.jpg', 'Cat/666.jpg', 'Cat/Thumbs.db', 'Cat/nested/deeper/2.jpg', 'Dog/0.jpg', 'Dog/1.jpg', 'README.txt',
    ]);
    expect(report.summary.hidden).toBe(2);
  });

  test('gives each file its category and counts per category and per class folder', () => {
    const cat = Object.fromEntries(report.entries.map((e) => [e.path, e.category]));
    expect(cat).toMatchObject({
      'Cat/0.jpg': 'ok', 'Cat/666.jpg': 'not-an-image', 'Cat/Thumbs.db': 'not-an-image', 'Cat/nested/deeper/2.jpg': 'ok',
      'Dog/0.jpg': 'format-mismatch', 'Dog/1.jpg': 'damaged', 'README.txt': 'not-an-image',
    });
    const s = report.summary;
    expect(s).toMatchObject({ total: 8, flagged: 5, cached: 0 });
    expect(s.byCategory).toMatchObject({ ok: 3, 'not-an-image': 3, 'format-mismatch': 1, damaged: 1, 'too-large': 0 });
    expect(s.byClass.Cat).toMatchObject({ total: 5, flagged: 2 });
    expect(s.byClass.Dog).toMatchObject({ total: 2, flagged: 2 });
    expect(s.byClass['.']).toMatchObject({ total: 1, flagged: 1 });
  });

  test('reports progress up to the total', () => {
    expect(progress.length).toBe(8);
    expect(progress[progress.length - 1]).toEqual([8, 8]);
  });

  test('the JSON report has one entry per file with path, category, flagged, reason and facts', async () => {
    const file = path.join(cacheDir, 'report.json');
    await writeJsonReport(report, file);
    const json = JSON.parse(await fsp.readFile(file, 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(reportJson(report))));
    expect(Object.keys(json).sort()).toEqual(['entries', 'maxPixels', 'policy', 'root', 'summary', 'tool']);
    expect(json.entries).toHaveLength(8);
    for (const e of json.entries) {
      expect(Object.keys(e).sort()).toEqual(['category', 'facts', 'flagged', 'path', 'reason']);
      expect(typeof e.facts.format).toBe('string');
      expect(typeof e.facts.bytes).toBe('number');
      expect(e.path).not.toMatch(/^\//);
    }
    expect(json.entries[0]).toMatchObject({ path: 'Cat/0.jpg', category: 'ok', flagged: false, facts: { format: 'jpeg', width: 120, height: 90 } });
  });

  test('a second scan of the unchanged folder takes every verdict from the cache', async () => {
    const again = await scan(root, { cache: cacheDir });
    expect(again.summary.cached).toBe(8);
    expect(again.entries).toEqual(report.entries);
  });

  test('a changed file is examined again; the cache lives outside the data folder', async () => {
    const file = path.join(root, 'Cat', '1.jpg');
    await fsp.writeFile(file, await fx.truncatedJpeg());
    const later = new Date(Date.now() + 5000);
    await fsp.utimes(file, later, later);
    const after = await scan(root, { cache: cacheDir });
    expect(after.summary.cached).toBe(7);
    expect(after.entries.find((e) => e.path === 'Cat/1.jpg')!.category).toBe('damaged');
    const walkAll = async (d: string): Promise<string[]> =>
      (await fsp.readdir(d, { withFileTypes: true })).flatMap((e) => (e.isDirectory() ? [] : [e.name]));
    expect(await walkAll(root)).toEqual(['README.txt']);
  });

  test('cache: false examines everything; other policies have their own cache entries', async () => {
    expect((await scan(root, { cache: false })).summary.cached).toBe(0);
    const jfif = await scan(root, { cache: cacheDir, policy: 'jfif' });
    expect(jfif.summary.cached).toBe(0);
    expect(jfif.policy).toBe('jfif');
  });

  test('a missing folder and a file are refused with ValidationError codes', async () => {
    await expect(scan(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'not-found' });
    await expect(scan(path.join(root, 'README.txt'))).rejects.toMatchObject({ code: 'not-a-directory' });
  });
});
