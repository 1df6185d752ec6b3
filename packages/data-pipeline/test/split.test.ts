import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { indexDirectory, type IndexOptions } from '../src/index-directory';
import { DataPipelineError } from '../src/errors';
import { compareCodePoints } from '../src/walk';
import { tempDir, touchAll } from './fixtures';

// A folder with Keras' corner cases: nested folders sorted by whole root path ('a-b' before
// 'a/x'), mixed-case extensions, hidden files (kept) and hidden class folders (ignored),
// non-image files, links, a name above U+FFFF (Python orders by code point, JS by UTF-16 unit).
const FILES = [
  'Cat/1.JPG', 'Cat/2.jpeg', 'Cat/10.png', 'Cat/b.Png', 'Cat/a/3.jpg', 'Cat/a-b/4.gif', 'Cat/a/x/5.bmp',
  'Cat/A/6.jpg', 'Cat/.hid/7.jpg', 'Cat/.8.jpg', 'Cat/notes.txt', 'Cat/b0/9.jpg', 'Cat/é/11.jpg',
  'Cat/😀/12.jpg', 'Cat/ｚ.jpg', 'Cat/𝒳.jpg', 'dog/x.jpg', 'dog/a_b.jpg', 'dog/sub/y.PNG',
  'dog/sub/deeper/z.jpg', 'dog/readme.md', '.hidden/h.jpg', 'Zebra/q.jpg', 'Zebra/r.jpeg',
  'Zebra/s.gif', 'Zebra/t.bmp', 'Zebra/u.JPEG', 'toplevel.jpg',
];

// What Keras' index_directory lists (checked against a Python run of its code), in order.
const SORTED = [
  'Cat/.8.jpg', 'Cat/1.JPG', 'Cat/10.png', 'Cat/2.jpeg', 'Cat/b.Png', 'Cat/link.jpg', 'Cat/ｚ.jpg', 'Cat/𝒳.jpg',
  'Cat/.hid/7.jpg', 'Cat/A/6.jpg', 'Cat/a/3.jpg', 'Cat/a-b/4.gif', 'Cat/a/x/5.bmp', 'Cat/b0/9.jpg', 'Cat/é/11.jpg',
  'Cat/😀/12.jpg', 'Zebra/q.jpg', 'Zebra/r.jpeg', 'Zebra/s.gif', 'Zebra/t.bmp', 'Zebra/u.JPEG', 'dog/a_b.jpg',
  'dog/x.jpg', 'dog/sub/y.PNG', 'dog/sub/deeper/z.jpg',
];
// numpy RandomState(1337).shuffle of [0..24] (TOOLCHAIN.md).
const PERM_1337_25 = [13, 4, 5, 17, 3, 0, 11, 12, 2, 14, 15, 1, 19, 21, 10, 16, 6, 9, 24, 20, 18, 22, 7, 8, 23];
const labelOf = (p: string) => ['Cat', 'Zebra', 'dog'].indexOf(p.split('/')[0]!);

let root: string;
beforeAll(async () => {
  root = await tempDir();
  await touchAll(root, FILES);
  await fs.symlink('../Zebra', path.join(root, 'Cat', 'linkdir')); // a link to a folder: not walked
  await fs.symlink('../Zebra/q.jpg', path.join(root, 'Cat', 'link.jpg')); // a link to a file: a file
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

const quiet: IndexOptions = { validate: false, log: false };

describe('indexDirectory = Keras index_directory', () => {
  it('lists classes and files in Keras order without shuffling', async () => {
    const r = await indexDirectory(root, { ...quiet, shuffle: false });
    expect(r.classNames).toEqual(['Cat', 'Zebra', 'dog']);
    expect(r.training.map((e) => e.path)).toEqual(SORTED);
    expect(r.training.map((e) => e.label)).toEqual(SORTED.map(labelOf));
    expect(r.seed).toBeUndefined();
  });

  it('shuffles with numpy RandomState(seed) and splits off the last int(split * n)', async () => {
    const lines: string[] = [];
    const r = await indexDirectory(root, { validate: false, seed: 1337, validationSplit: 0.2, subset: 'both', log: (l) => lines.push(l) });
    const shuffled = PERM_1337_25.map((i) => SORTED[i]!);
    expect(r.training.map((e) => e.path)).toEqual(shuffled.slice(0, 20));
    expect(r.validation.map((e) => e.path)).toEqual(shuffled.slice(20));
    expect(r.validation.map((e) => e.label)).toEqual(shuffled.slice(20).map(labelOf));
    expect(lines).toEqual(['Found 25 files belonging to 3 classes.', 'Using 20 files for training.', 'Using 5 files for validation.']);
  });

  it('prints only the requested subset and keeps explicit class order', async () => {
    const lines: string[] = [];
    const r = await indexDirectory(root, { validate: false, seed: 1, validationSplit: 0.5, subset: 'validation', classNames: ['dog', 'Cat'], log: (l) => lines.push(l) });
    expect(r.classNames).toEqual(['dog', 'Cat']);
    expect(lines).toEqual(['Found 20 files belonging to 2 classes.', 'Using 10 files for validation.']);
    expect(new Set(r.training.concat(r.validation).map((e) => e.label))).toEqual(new Set([0, 1]));
    for (const e of r.training) expect(e.label).toBe(e.path.startsWith('dog/') ? 0 : 1);
  });

  it('orders strings by code point like Python', () => {
    expect(compareCodePoints('ｚ', '𝒳')).toBeLessThan(0); // U+FF5A < U+1D4B3, though '\ud835' < '\uff5a'
    expect(compareCodePoints('a-b', 'a/x')).toBeLessThan(0);
    expect(compareCodePoints('A', 'a')).toBeLessThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
  });
});

describe('leaving out flagged files', () => {
  it('splits over the remaining files and writes a report', async () => {
    const reportPath = path.join(root, '..', `report-${path.basename(root)}.json`);
    const lines: string[] = [];
    const flagged = new Set(['Cat/1.JPG', 'dog/x.jpg']);
    const r = await indexDirectory(root, {
      seed: 1337,
      shuffle: false,
      reportPath,
      log: (l) => lines.push(l),
      validator: async (_root, files) => files.map((f) => ({ path: f, flagged: flagged.has(f), category: flagged.has(f) ? 'damaged' : 'ok', reason: 'test' })),
    });
    expect(r.training.map((e) => e.path)).toEqual(SORTED.filter((p) => !flagged.has(p)));
    expect(r.excluded.map((e) => e.path).sort()).toEqual([...flagged].sort());
    expect(r.found).toBe(23);
    expect(lines[0]).toBe(`Left out 2 files (damaged 2); kept 0 with a warning (policy strict); report: ${reportPath}`);
    expect(lines[1]).toBe('Found 23 files belonging to 3 classes.');
    const report = JSON.parse(await fs.readFile(reportPath, 'utf8'));
    expect(report.excluded).toHaveLength(2);
    await fs.rm(reportPath);
  });
});

describe('bad input', () => {
  const expectError = async (p: Promise<unknown>, code: string, message: string | RegExp) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataPipelineError);
    expect((err as DataPipelineError).code).toBe(code);
    expect((err as DataPipelineError).message).toMatch(message);
  };

  it('gives Keras\' argument errors', async () => {
    await expectError(indexDirectory(root, { ...quiet, seed: 1, validationSplit: 1.5, subset: 'training' }), 'bad-argument', '`validationSplit` must be between 0 and 1, received: 1.5');
    await expectError(indexDirectory(root, { ...quiet, seed: 1, validationSplit: 0.2 }), 'bad-argument', 'If `subset` is set, `validationSplit` must be set, and inversely.');
    await expectError(indexDirectory(root, { ...quiet, seed: 1, subset: 'training' }), 'bad-argument', 'If `subset` is set, `validationSplit` must be set, and inversely.');
    await expectError(indexDirectory(root, { ...quiet, seed: 1, validationSplit: 0.2, subset: 'test' as never }), 'bad-argument', '`subset` must be either "training", "validation" or "both", received: test');
    await expectError(indexDirectory(root, { ...quiet, validationSplit: 0.2, subset: 'training' }), 'bad-argument', /you must provide a `seed` argument/);
    await expectError(indexDirectory(root, { ...quiet, seed: -3 }), 'bad-argument', '`seed` must be an integer between 0 and 2**32 - 1, received: -3');
  });

  it('names a missing folder, a folder without classes, an unknown class and an empty class', async () => {
    await expectError(indexDirectory(path.join(root, 'nope'), quiet), 'missing-directory', /No such folder: .*nope/);
    await expectError(indexDirectory(path.join(root, 'toplevel.jpg'), quiet), 'missing-directory', /Not a folder/);
    await expectError(indexDirectory(path.join(root, 'Zebra'), quiet), 'no-classes', /No class subfolders in .*Zebra/);
    await expectError(indexDirectory(root, { ...quiet, classNames: ['Cat', 'Horse'] }), 'unknown-class', /did not match .*Expected: \["Cat","Zebra","dog"\]/);
    const empty = await tempDir();
    await touchAll(empty, ['A/1.jpg', 'B/readme.txt']);
    await expectError(indexDirectory(empty, quiet), 'empty-class', /Class folder .*B holds no usable images/);
    await fs.rm(empty, { recursive: true });
  });

  it('refuses a split that leaves no validation file', async () => {
    await expectError(indexDirectory(root, { ...quiet, seed: 1, validationSplit: 0.01, subset: 'training' }), 'no-images', /leaves no validation files/);
  });
});
