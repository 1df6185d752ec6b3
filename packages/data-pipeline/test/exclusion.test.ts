import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import yargs from 'yargs';
import { splitCommand } from '../src/cli/split-command';
import { EXIT } from '../src/cli/exit-codes';
import { openDataset } from '../src/dataset';
import { DataPipelineError } from '../src/errors';
import { checkExclude, DEFAULT_EXCLUDE, dispositionOf } from '../src/exclusion';
import { indexDirectory } from '../src/index-directory';
import type { FileVerdict } from '../src/validator';
import { bmpOs2, makeImageFolder, tempDir } from './fixtures';
import { decodeRgb } from '../src/decode';

// What training leaves out of a validated folder, on real files scanned by image-validation.
let work: string;
let root: string;
let cacheDir: string;
const oldCache = process.env['PAWPIPE_CACHE_DIR'];

const solid = () => sharp({ create: { width: 12, height: 9, channels: 3, background: { r: 200, g: 40, b: 90 } } });

beforeAll(async () => {
  work = await tempDir();
  cacheDir = await tempDir();
  process.env['PAWPIPE_CACHE_DIR'] = cacheDir;
  root = path.join(work, 'pets');
  await makeImageFolder(root, ['Cat', 'Dog'], 4, '.jpg', [12, 9]);
  // Usable: PNG and GIF data under .jpg names (decode_image sniffs the content and reads them).
  await fs.writeFile(path.join(root, 'Cat', 'png.jpg'), await solid().png().toBuffer());
  await fs.writeFile(path.join(root, 'Dog', 'gif.jpg'), await solid().gif().toBuffer());
  await fs.writeFile(path.join(root, 'Dog', 'os2.jpg'), bmpOs2(5, 3, [10, 200, 30])); // bmp-ts could not read OS/2 headers
  // Not usable: WebP under .jpg (decode_image cannot read it), text, a truncated JPEG.
  await fs.writeFile(path.join(root, 'Dog', 'webp.jpg'), await solid().webp().toBuffer());
  await fs.writeFile(path.join(root, 'Cat', 'text.jpg'), 'not a picture at all');
  const good = await fs.readFile(path.join(root, 'Dog', '000.jpg'));
  await fs.writeFile(path.join(root, 'Dog', 'cut.jpg'), good.subarray(0, Math.floor(good.length / 2)));
});
afterAll(async () => {
  if (oldCache === undefined) delete process.env['PAWPIPE_CACHE_DIR'];
  else process.env['PAWPIPE_CACHE_DIR'] = oldCache;
  await fs.rm(work, { recursive: true, force: true });
  await fs.rm(cacheDir, { recursive: true, force: true });
});

describe('leaving out only what cannot be trained on', () => {
  it('keeps PNG and GIF pictures named .jpg, counts them in "Found N files", and says so', async () => {
    const lines: string[] = [];
    const reportPath = path.join(work, 'report.json');
    const r = await indexDirectory(root, { seed: 1337, reportPath, log: (l) => lines.push(l) });
    expect(r.excluded.map((e) => e.path).sort()).toEqual(['Cat/text.jpg', 'Dog/cut.jpg', 'Dog/webp.jpg']);
    expect(r.keptWithWarning.map((e) => [e.path, e.category])).toEqual([['Cat/png.jpg', 'format-mismatch'], ['Dog/gif.jpg', 'format-mismatch'], ['Dog/os2.jpg', 'format-mismatch']]);
    expect(r.found).toBe(11);
    expect(r.training.map((e) => e.path)).toEqual(expect.arrayContaining(['Cat/png.jpg', 'Dog/gif.jpg', 'Dog/os2.jpg']));
    expect(lines).toEqual([
      `Left out 3 files (not-an-image 1, damaged 1, format-mismatch 1); kept 3 with a warning (format-mismatch 3) (policy strict); report: ${reportPath}`,
      'Found 11 files belonging to 2 classes.',
    ]);
    const report = JSON.parse(await fs.readFile(reportPath, 'utf8'));
    expect(report.exclude).toEqual([...DEFAULT_EXCLUDE].sort((a, b) => order(a) - order(b)));
    expect(report.keptWithWarning.map((e: { path: string }) => e.path)).toEqual(['Cat/png.jpg', 'Dog/gif.jpg', 'Dog/os2.jpg']);
    expect(report.excluded.find((e: { path: string }) => e.path === 'Dog/webp.jpg').reason).toMatch(/WebP/);
  });

  it('decodes the kept files into batches without skipping any', async () => {
    const ds = await openDataset({ dataDir: root, imageSize: [8, 8], batchSize: 16, seed: 1, log: false, cache: false });
    const b = await ds.batch(0, 0);
    expect(b.skipped).toEqual([]);
    expect(b.paths).toEqual(expect.arrayContaining(['Cat/png.jpg', 'Dog/gif.jpg', 'Dog/os2.jpg']));
    expect(b.shape).toEqual([11, 8, 8, 3]);
    const os2 = await decodeRgb(path.join(root, 'Dog', 'os2.jpg'));
    expect([os2.width, os2.height, ...os2.data.subarray(0, 3)]).toEqual([5, 3, 10, 200, 30]);
  });

  it('--exclude format-mismatch leaves the mismatched pictures out too', async () => {
    const lines: string[] = [];
    const r = await indexDirectory(root, { seed: 1337, exclude: ['not-an-image', 'damaged', 'format-mismatch'], reportPath: path.join(work, 'r2.json'), log: (l) => lines.push(l) });
    expect(r.excluded.map((e) => e.path).sort()).toEqual(['Cat/png.jpg', 'Cat/text.jpg', 'Dog/cut.jpg', 'Dog/gif.jpg', 'Dog/os2.jpg', 'Dog/webp.jpg']);
    expect(r.keptWithWarning).toEqual([]);
    expect(lines[0]).toMatch(/^Left out 6 files \(not-an-image 1, damaged 1, format-mismatch 4\); kept 0 with a warning \(policy strict\)/);
    expect(lines[1]).toBe('Found 8 files belonging to 2 classes.');
  });
});

describe('dispositionOf and checkExclude', () => {
  const v = (category: string, format?: string): FileVerdict => ({ path: 'a/x.jpg', flagged: category !== 'ok', category, reason: 'r', ...(format && { format }) });
  const def = new Set(DEFAULT_EXCLUDE);

  it('decides per category, and a format the pipeline cannot decode is always left out', () => {
    expect(dispositionOf(v('ok', 'jpeg'), def)).toBe('use');
    expect(dispositionOf(v('decodes-with-warnings', 'jpeg'), def)).toBe('keep-with-warning');
    expect(dispositionOf(v('format-mismatch', 'bmp'), def)).toBe('keep-with-warning');
    expect(dispositionOf(v('format-mismatch', 'tiff'), def)).toBe('leave-out');
    expect(dispositionOf(v('format-mismatch', 'tiff'), new Set())).toBe('leave-out');
    for (const c of ['not-an-image', 'too-large', 'damaged', 'unsupported']) expect(dispositionOf(v(c, 'png'), def)).toBe('leave-out');
    expect(dispositionOf(v('damaged', 'png'), new Set())).toBe('keep-with-warning');
    expect(dispositionOf(v('decodes-with-warnings', 'png'), new Set(['decodes-with-warnings']))).toBe('leave-out');
  });

  it('accepts categories, commas and none; names what it refuses', () => {
    expect(checkExclude(['damaged,not-an-image', 'too-large'])).toEqual(['not-an-image', 'too-large', 'damaged']);
    expect(checkExclude(['none'])).toEqual([]);
    expect(() => checkExclude(['damaged', 'broken'])).toThrow(DataPipelineError);
    expect(() => checkExclude(['damaged', 'broken'])).toThrow(/`exclude` takes image-validation categories .* received: broken/);
    expect(() => checkExclude(['ok'])).toThrow(/received: ok/);
    expect(() => checkExclude([])).toThrow(/received: nothing/);
  });
});

describe('split --exclude', () => {
  async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
    let out = '';
    let err = '';
    const so = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const se = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    process.exitCode = undefined;
    try {
      await yargs(args).command(splitCommand).strict().exitProcess(false).parseAsync();
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
    const code = Number(process.exitCode ?? EXIT.ok);
    process.exitCode = undefined;
    return { out, err, code };
  }

  it('changes the set of left-out categories', async () => {
    const r = await run(['split', '--data-dir', root, '--validation-split', '0', '--json', '--exclude', 'damaged', 'not-an-image', '--report', path.join(work, 'r3.json')]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^Left out 3 files \(not-an-image 1, damaged 1, format-mismatch 1\); kept 3 with a warning/);
    expect(JSON.parse(r.out).training).toHaveLength(11);
  });

  it('refuses an unknown category with one line and exit code 2', async () => {
    const r = await run(['split', '--data-dir', root, '--exclude', 'brokenish']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toBe(`split: --exclude takes image-validation categories (not-an-image, too-large, damaged, format-mismatch, unsupported, decodes-with-warnings) or none, received: brokenish\n`);
  });
});

function order(c: string): number {
  return ['not-an-image', 'too-large', 'damaged', 'format-mismatch', 'unsupported', 'decodes-with-warnings'].indexOf(c);
}
