import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
let dir: string;

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-model-cmd-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('model prints the Keras summary of the tutorial model (2,782,649 params at 180x180) and draws its graph', async () => {
  const png = path.join(dir, 'model.png');
  const r = cli(['model', '--image-size', '180', '--out', png]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/Total params: 2,782,649/);
  expect(r.out).toMatch(/Non-trainable params: 8,736/);
  expect(r.out).toContain('(None, 90, 90, 32)');
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  expect((meta.height ?? 0) > (meta.width ?? 0)).toBe(true); // a top-to-bottom graph of ~40 layers
});

test('model --out refuses to overwrite a file without --force, and names the flag', () => {
  const file = path.join(dir, 'keep.svg');
  writeFileSync(file, 'mine');
  const r = cli(['model', '--image-size', '32', '--out', file]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(`--out ${file} exists; add --force`);
  expect(readFileSync(file, 'utf8')).toBe('mine');
  const forced = cli(['model', '--image-size', '32', '--out', file, '--force']);
  expect(forced.code).toBe(0);
  expect(readFileSync(file, 'utf8')).toMatch(/^<svg|^<\?xml/);
});

test('model rejects a bad size, class count or picture name in one line', () => {
  for (const [args, text] of [
    [['--image-size', '4'], '--image-size takes one or two whole numbers'],
    [['--num-classes', '1'], '--num-classes must be a whole number of at least 2'],
    [['--out', path.join(dir, 'model.jpg')], 'name a .png or .svg file'],
  ] as const) {
    const r = cli(['model', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(text);
    expect(r.err.trim().split('\n')[0]).toContain(text);
  }
  expect(existsSync(path.join(dir, 'model.jpg'))).toBe(false);
});
