import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import yargs from 'yargs';
import { showAugmentedCommand } from '../src/cli/show-augmented-command';
import { showCommand } from '../src/cli/show-command';
import { splitCommand } from '../src/cli/split-command';
import { EXIT } from '../src/cli/exit-codes';
import { makeImageFolder, tempDir, touchAll } from './fixtures';

/** Runs a command in-process; returns stdout, stderr and the exit code it set. */
async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  let code: number = EXIT.ok;
  try {
    await yargs(args)
      .command(splitCommand)
      .command(showCommand)
      .command(showAugmentedCommand)
      .strict()
      .fail((msg) => {
        err += `${msg}\n`;
        code = EXIT.usage;
      })
      .exitProcess(false)
      .parseAsync();
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  if (code === EXIT.ok) code = Number(process.exitCode ?? EXIT.ok);
  process.exitCode = undefined;
  return { out, err, code };
}

let root: string;
let work: string;
beforeAll(async () => {
  work = await tempDir();
  root = path.join(work, 'pets');
  await makeImageFolder(root, ['Cat', 'Dog'], 10, '.jpg', [40, 30]);
});
afterAll(() => fs.rm(work, { recursive: true, force: true }));

describe('split', () => {
  it('prints the split as Python-style JSON, and Keras messages on stderr', async () => {
    const r = await run(['split', '--data-dir', root, '--seed', '1337', '--validation-split', '0.2', '--json', '--no-validate']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('Found 20 files belonging to 2 classes.\nUsing 16 files for training.\nUsing 4 files for validation.\n');
    const json = JSON.parse(r.out);
    expect(Object.keys(json)).toEqual(['classNames', 'training', 'validation']);
    expect(json.training).toHaveLength(16);
    expect(json.validation).toHaveLength(4);
    expect(r.out.startsWith('{"classNames": ["Cat", "Dog"], "training": [{"path": "')).toBe(true);
    // RandomState(1337).shuffle([0..19]) puts the sorted list's items in this order; file i of
    // class c is at sorted position c * 10 + i.
    const order = json.training.concat(json.validation).map((e: { path: string; label: number }) => e.label * 10 + Number(path.basename(e.path, '.jpg')));
    expect([...order].sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const again = await run(['split', '--data-dir', root, '--seed', '1337', '--validation-split', '0.2', '--json', '--no-validate']);
    expect(again.out).toBe(r.out);
  });

  it('prints a summary without --json', async () => {
    const r = await run(['split', '--data-dir', root, '--no-validate', '--subset', 'training']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Found 20 files belonging to 2 classes\.\nUsing 16 files for training\.\ntraining +16 files \(Cat \d+, Dog \d+\)/);
  });

  it.each([
    [['--data-dir', 'MISSING'], EXIT.missingDirectory, /^split: No such folder: .*missing \(point it at a folder with one subfolder of images per class\)$/],
    [['--validation-split', '1.5'], EXIT.usage, /^split: --validation-split must be between 0 and 1, received: 1\.5$/],
    [['--seed', '-1'], EXIT.usage, /^split: --seed must be an integer between 0 and 2\*\*32 - 1, received: -1$/],
    [['--seed', '1.5'], EXIT.usage, /^split: --seed must be an integer/],
    [['--subset', 'test'], EXIT.usage, /^split: --subset must be either "training", "validation" or "both", received: test$/],
    [['--class-names', 'Cat', 'Horse'], EXIT.unusableData, /^split: The --class-names passed did not match/],
  ])('bad input %j exits %i with one line', async (extra, code, message) => {
    const args = ['split', '--no-validate', ...(extra as string[])];
    if (!args.includes('--data-dir')) args.push('--data-dir', root);
    const r = await run(args.map((a) => (a === 'MISSING' ? path.join(work, 'missing') : a)));
    expect(r.code).toBe(code);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err.trim()).toMatch(message);
  });

  it('names a folder without classes and an empty class', async () => {
    const flat = path.join(work, 'flat');
    await touchAll(flat, ['1.jpg', '2.jpg']);
    const a = await run(['split', '--data-dir', flat, '--no-validate']);
    expect(a.code).toBe(EXIT.unusableData);
    expect(a.err).toMatch(/^split: No class subfolders in .*flat: put each class's images in its own subfolder/);
    const holes = path.join(work, 'holes');
    await touchAll(holes, ['A/1.jpg', 'B/notes.txt']);
    const b = await run(['split', '--data-dir', holes, '--no-validate']);
    expect(b.code).toBe(EXIT.unusableData);
    expect(b.err).toMatch(/^split: Class folder .*B holds no usable images/);
  });
});

describe('show and show-augmented', () => {
  it('write 3x3 PNG grids and refuse to overwrite without --force', async () => {
    const grid = path.join(work, 'grid.png');
    const r = await run(['show', '--data-dir', root, '--out', grid, '--no-validate', '--image-size', '36x48']);
    expect(r.code).toBe(0);
    const meta = await sharp(grid).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(3 * 224);
    const again = await run(['show', '--data-dir', root, '--out', grid, '--no-validate']);
    expect(again.code).toBe(EXIT.outputExists);
    expect(again.err).toMatch(/grid\.png already exists: pass --force/);
    expect((await run(['show', '--data-dir', root, '--out', grid, '--no-validate', '--force'])).code).toBe(0);

    const aug = path.join(work, 'aug.png');
    const s = await run(['show-augmented', '--data-dir', root, '--out', aug, '--no-validate', '--rotation', '0.2']);
    expect(s.code).toBe(0);
    expect((await sharp(aug).metadata()).height).toBeGreaterThan(3 * 224);
  });

  it('refuses a bad image size and a folder that is missing for --out', async () => {
    const bad = await run(['show', '--data-dir', root, '--out', path.join(work, 'x.png'), '--image-size', '0', '5']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/--image-size must be two integers between 1 and 16384/);
    const nodir = await run(['show', '--data-dir', root, '--out', path.join(work, 'no', 'x.png'), '--no-validate']);
    expect(nodir.code).toBe(EXIT.outputExists);
    expect(nodir.err).toMatch(/folder .* does not exist/);
  });
});
