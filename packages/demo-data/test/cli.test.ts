import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateDemoData, generateKaggleShaped } from '../src';

const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
let work: string;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm build" (turbo runs it before test)`);
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'pawpipe-demo-cli-'));
});
afterAll(() => fsp.rm(work, { recursive: true, force: true }));

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('generate writes the folder and says where', () => {
  const out = path.join(work, 'pets');
  const r = run('generate', '--out', out, '--per-class', '3', '--seed', '5', '--classes', 'Cat,Dog,Rabbit', '--no-broken');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/wrote 9 files \(0 planted\) to .*pets/);
  expect(existsSync(path.join(out, 'Rabbit', '2.jpg'))).toBe(true);
});

test('pictures drawn on worker threads (CLI) are byte-identical to the main thread ones (API)', async () => {
  const viaCli = path.join(work, 'threads-cli');
  const viaApi = path.join(work, 'threads-api');
  expect(run('generate', '--out', viaCli, '--per-class', '110', '--seed', '3', '--no-broken').code).toBe(0);
  await generateDemoData({ outDir: viaApi, perClass: 110, seed: 3, plantBroken: false });
  for (const rel of ['Cat/0.jpg', 'Cat/57.jpg', 'Dog/109.jpg']) {
    const h = async (d: string) => createHash('sha256').update(await fsp.readFile(path.join(d, rel))).digest('hex');
    expect(await h(viaCli)).toBe(await h(viaApi));
  }
});

test('generate --kaggle-shaped draws on worker threads (CLI) the same bytes as the main thread (API)', async () => {
  const viaCli = path.join(work, 'kaggle-cli');
  const viaApi = path.join(work, 'kaggle-api');
  const r = run('generate', '--kaggle-shaped', '--out', viaCli, '--per-class', '40', '--seed', '3');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/wrote 80 Kaggle-shaped files to .*kaggle-cli in [\d.]+ s \(\d+ at 500x375, \d+ at 375x500, \d+ Exif without JFIF/);
  await generateKaggleShaped({ outDir: viaApi, perClass: 40, seed: 3 });
  for (const rel of ['Cat/0.jpg', 'Cat/17.jpg', 'Dog/39.jpg']) {
    const h = async (d: string) => createHash('sha256').update(await fsp.readFile(path.join(d, rel))).digest('hex');
    expect(await h(viaCli)).toBe(await h(viaApi));
  }
});

test.each([
  ['a non-empty folder it did not make', ['generate', '--out', '__USER__'], /not empty and was not made by demo-data; pick an empty folder or add --force/],
  ['too many classes', ['generate', '--out', '__NEW__', '--classes', 'a,b,c,d,e,f,g'], /--classes: at most 6 classes/],
  ['a bad count', ['generate', '--out', '__NEW__', '--per-class', '0'], /--per-class 0/],
  ['an unknown flag', ['generate', '--bogus'], /Unknown argument: bogus; see demo-data generate --help/],
  ['no command', [], /missing command/],
])('exit 2 with one line for %s', async (_label, args, message) => {
  const user = path.join(work, 'user');
  await fsp.mkdir(user, { recursive: true });
  await fsp.writeFile(path.join(user, 'notes.txt'), 'mine');
  const r = run(...args.map((a) => a.replace('__USER__', user).replace('__NEW__', path.join(work, 'new'))));
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^demo-data: /);
  expect(r.err).toMatch(message);
  expect(await fsp.readFile(path.join(user, 'notes.txt'), 'utf8')).toBe('mine');
});
