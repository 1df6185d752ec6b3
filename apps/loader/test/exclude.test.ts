import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateDemoData, type PlantedFile } from '@pawpipe/demo-data';
import { indexDirectory } from '@pawpipe/data-pipeline';
import { BatchBroker } from '@pawpipe/protocol';
import { Loader } from '../src';

// --exclude: which validation categories the loader leaves out of training.
const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
let root: string;
let dataDir: string;
let planted: PlantedFile[];
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-loader-exclude-'));
  process.env.PAWPIPE_CACHE_DIR = path.join(root, 'cache');
  dataDir = path.join(root, 'data');
  planted = (await generateDemoData({ outDir: dataDir, perClass: 12, seed: 3, plantBroken: true })).manifest;
}, 60_000);
afterEach(async () => {
  while (stops.length) await (stops.pop() as () => Promise<void>)();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('by default the PNGs and BMPs named .jpg are trained on; --exclude format-mismatch leaves them out', async () => {
  const sizes: number[] = [];
  const logs: string[][] = [];
  for (const exclude of [undefined, ['not-an-image', 'too-large', 'damaged', 'unsupported', 'format-mismatch']]) {
    const port = await freePort();
    const broker = new BatchBroker({ endpoint: `tcp://127.0.0.1:${port}`, runId: 'r', maxMessageSize: 1 << 22, heartbeatMs: 200 });
    await broker.start();
    stops.push(() => broker.stop());
    const lines: string[] = [];
    const loader = new Loader({
      dataDir, ensureDemo: false, imageSize: [16, 16], batchSize: 4, seed: 5, validationSplit: 0.2, augment: 'none', flip: 'horizontal',
      rotation: 0.1, trainer: `tcp://127.0.0.1:${port}`, loaderId: 'L', window: 2, concurrency: 2, heartbeatMs: 200, log: (l) => lines.push(l),
      ...(exclude && { exclude }),
    });
    await loader.start();
    stops.push(() => loader.stop());
    const d = await broker.waitForDataset();
    const ref = await indexDirectory(dataDir, { seed: 5, validationSplit: 0.2, subset: 'training', log: false, ...(exclude && { exclude }) });
    expect(d.size).toBe(ref.training.length);
    sizes.push(ref.found);
    logs.push(lines);
  }
  const asJpg = planted.filter((p) => ['png-as-jpg', 'gif-as-jpg', 'bmp-as-jpg'].includes(p.kind)).length;
  expect(asJpg).toBe(3);
  expect(sizes[0]! - sizes[1]!).toBe(asJpg);
  expect(logs[0]!.find((l) => l.startsWith('Found '))).toBe(`Found ${sizes[0]} files belonging to 2 classes.`);
  expect(logs[0]!.find((l) => l.startsWith('Left out '))).toMatch(/^Left out \d+ files \(.*\); kept 7 with a warning \(format-mismatch 3, decodes-with-warnings 4\)/);
});

test('--exclude with an unknown category: one line naming the flag, exit code 2', async () => {
  const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, '--data-dir', dataDir, '--exclude', 'damaged', 'shabby'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, err }));
  });
  expect(r.code).toBe(2);
  expect(r.err).toBe(
    'pawpipe-loader: --exclude: takes image-validation categories (not-an-image, too-large, damaged, format-mismatch, unsupported, decodes-with-warnings) or none, received: shabby (see --help)\n',
  );
});
