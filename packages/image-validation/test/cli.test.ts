import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_NAME, readManifest } from '../src';
import * as fx from './fixtures';

/** The built bin, as users run it (turbo builds before testing). */
const CLI = path.join(__dirname, '..', 'dist', 'cli.js');

let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm build" (turbo runs it before test)`);
  work = await fx.tmpDir('cli');
  env = { ...process.env, PAWPIPE_CACHE_DIR: path.join(work, 'cache') };
});
afterAll(() => fsp.rm(work, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function folder(name: string, broken: boolean): Promise<string> {
  const root = path.join(work, name);
  await fx.write(root, 'Cat/0.jpg', await fx.jpeg());
  await fx.write(root, 'Dog/0.jpg', await fx.jpeg({ seed: 2 }));
  if (broken) {
    await fx.write(root, 'Cat/666.jpg', Buffer.alloc(0));
    await fx.write(root, 'Dog/1.jpg', await fx.png());
  }
  return root;
}

describe('validate-images exit codes and messages', () => {
  test('exit 0 and a summary when nothing is flagged', async () => {
    const r = run(await folder('clean', false));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 files in .*clean \(policy strict/);
    expect(r.err).toBe('');
  });

  test('exit 1 when something is flagged, each flagged file listed with its reason', async () => {
    const r = run(await folder('broken', true));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not-an-image\s+Cat\/666\.jpg: empty file/);
    expect(r.out).toMatch(/format-mismatch\s+Dog\/1\.jpg: PNG data under a \.jpg name/);
  });

  test('--only narrows what counts as flagged', async () => {
    const root = await folder('only', true);
    expect(run(root, '--only', 'damaged').code).toBe(0);
    expect(run(root, '--only', 'format-mismatch').code).toBe(1);
  });

  test('--json writes the report', async () => {
    const root = await folder('json', true);
    const file = path.join(work, 'report.json');
    expect(run(root, '--json', file).code).toBe(1);
    const j = JSON.parse(await fsp.readFile(file, 'utf8'));
    expect(j.entries.map((e: { path: string }) => e.path)).toEqual(['Cat/0.jpg', 'Cat/666.jpg', 'Dog/0.jpg', 'Dog/1.jpg']);
    expect(j.summary.flagged).toBe(2);
  });

  test('--delete --yes deletes exactly the flagged files', async () => {
    const root = await folder('delete', true);
    const r = run(root, '--delete', '--yes');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/deleted 2 files/);
    expect(existsSync(path.join(root, 'Cat/666.jpg'))).toBe(false);
    expect(existsSync(path.join(root, 'Cat/0.jpg'))).toBe(true);
    expect(run(root).code).toBe(0);
  });

  test.each([
    ['a missing folder', ['/nonexistent/pets'], /\/nonexistent\/pets: no such folder/],
    ['a file instead of a folder', ['__FILE__'], /is a file, not a folder/],
    ['no folder at all', [], /missing folder/],
    ['an unknown policy', ['__DIR__', '--policy', 'magic'], /--policy magic: unknown policy; use one of strict, jfif, verify, sniff, decode/],
    ['--delete without --yes', ['__DIR__', '--delete'], /--delete: deletes files for good; add --yes/],
    ['--yes without --delete', ['__DIR__', '--yes'], /--yes: only confirms --delete/],
    ['--quarantine with --restore', ['--quarantine', '/tmp/q', '--restore', '/tmp/m'], /--quarantine and --restore: pick one action/],
    ['a bad manifest', ['--restore', '__FILE__'], /line 1 is not valid JSON/],
    ['a missing manifest', ['--restore', '/nonexistent/m.jsonl'], /cannot read the quarantine manifest/],
    ['an unknown category', ['__DIR__', '--only', 'blurry'], /--only blurry: unknown category/],
    ['an unknown flag', ['__DIR__', '--frobnicate'], /Unknown argument: frobnicate; see validate-images --help/],
    ['a bad number', ['__DIR__', '--max-pixels', 'lots'], /--max-pixels/],
  ])('exit 2 with one line for %s', async (_label, args, message) => {
    const dir = await folder('usage', false);
    const file = await fx.write(work, 'not-a-folder.txt', 'hello\n');
    const r = run(...args.map((a) => a.replace('__DIR__', dir).replace('__FILE__', file)));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^validate-images: /);
    expect(r.err).toMatch(message);
  });

  test('--help shows the flags and exits 0', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--quarantine/);
    expect(r.out).toMatch(/--policy/);
  });
});

describe('worker threads', () => {
  test('a scan on two threads reports exactly what one thread does', async () => {
    const root = path.join(work, 'threads');
    const good = await fx.jpeg({ w: 64, h: 48 });
    for (let i = 0; i < 300; i++) {
      const rel = `${i % 2 ? 'Dog' : 'Cat'}/${i}.jpg`;
      await fx.write(root, rel, i % 7 === 0 ? fx.randomBytes(100, i + 1) : i % 11 === 0 ? good.subarray(0, 400) : good);
    }
    const one = path.join(work, 'one.json');
    const two = path.join(work, 'two.json');
    expect(run(root, '--no-cache', '--concurrency', '1', '--json', one).code).toBe(1);
    expect(run(root, '--no-cache', '--concurrency', '2', '--json', two).code).toBe(1);
    const a = JSON.parse(await fsp.readFile(one, 'utf8'));
    const b = JSON.parse(await fsp.readFile(two, 'utf8'));
    expect(b.entries).toEqual(a.entries);
    expect(a.summary.flagged).toBe(43 + 24);
  });
});

describe('a quarantine killed midway (kill -9) loses nothing', () => {
  test('every file is in place or in the quarantine as the manifest says, and restore brings back identical bytes', async () => {
    const root = path.join(work, 'many');
    const n = 3000;
    const want: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const rel = `${i % 2 ? 'Dog' : 'Cat'}/${i}.jpg`;
      const data = fx.randomBytes(64 + (i % 50), i + 1);
      await fx.write(root, rel, data);
      want[rel] = createHash('sha256').update(data).digest('hex');
    }
    const q = path.join(work, 'many-quarantine');
    const manifest = path.join(q, MANIFEST_NAME);
    const child = spawn(process.execPath, [CLI, root, '--quarantine', q, '--no-cache', '--policy', 'sniff'], { env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill once the journal shows moves under way but far from finished.
    let killedAt = -1;
    for (let tries = 0; tries < 6000 && killedAt < 0; tries++) {
      await new Promise((r) => setTimeout(r, 5));
      const text = await fsp.readFile(manifest, 'utf8').catch(() => '');
      const done = text.split('"type":"done"').length - 1;
      if (done >= 20) {
        child.kill('SIGKILL');
        killedAt = done;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(20);

    const m = await readManifest(manifest);
    const intents = m.lines.filter((l) => l.type === 'intent') as Array<{ path: string; to: string }>;
    expect(intents.length).toBeLessThan(n); // it really was cut short
    const where = new Map(intents.map((l) => [l.path, l.to]));
    for (const rel of Object.keys(want)) {
      const inPlace = existsSync(path.join(root, rel));
      const held = where.has(rel) && existsSync(path.join(q, where.get(rel)!));
      expect({ rel, found: inPlace || held }).toEqual({ rel, found: true });
    }

    const r = run('--restore', manifest);
    expect(r.code).toBe(0);
    for (const [rel, hash] of Object.entries(want)) {
      const got = createHash('sha256').update(await fsp.readFile(path.join(root, rel))).digest('hex');
      if (got !== hash) throw new Error(`${rel} differs after restore`);
    }
  });
});
