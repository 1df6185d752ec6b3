import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { decodeRgb, resizeImage } from '@pawpipe/data-pipeline';
import { generateDemoData } from '@pawpipe/demo-data';
import { makeModel } from '@pawpipe/model';
import { initBackend, tf } from '@pawpipe/tf-backend';
import { compileForClasses, saveCheckpoint } from '@pawpipe/trainer';
import type { CheckpointMeta } from '@pawpipe/trainer';
import { DashboardServer, PUBLIC_DIR } from '../src';
import { evalLine, historyLine, writeRun } from './fixtures';

// The page in Debian's chromium, headless, driven by playwright-core (which downloads no browser).
// Every run takes the screenshots; they replace the README's ones in docs/ only with
// PAWPIPE_UPDATE_SCREENSHOTS=1, so a test run leaves the checkout as it was.
const CHROMIUM = process.env.PAWPIPE_CHROMIUM ?? '/usr/bin/chromium';
const noBrowser = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found; bash scripts/provision-chromium.sh installs Debian's chromium`;
const DOCS = process.env.PAWPIPE_UPDATE_SCREENSHOTS === '1'
  ? path.join(__dirname, '..', 'docs')
  : mkdtempSync(path.join(tmpdir(), 'pawpipe-screenshots-'));
const CLI = path.resolve(__dirname, '..', '..', 'cli', 'dist', 'main.js');

if (noBrowser) {
  test('browser tests', () => {
    console.log(`skipped: no browser (${noBrowser})`);
  });
} else {
  let root: string;
  let runs: string;
  let images: string[];
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;

  /**
   * The mini-Xception at 32x32, untrained. Untrained, it says ~50% for every picture (its pooled
   * features barely differ), which would make equal numbers prove little: its output layer is
   * rescaled so that these pictures' logits spread over about [-1.5, 1.5].
   */
  async function checkpointInto(runDir: string, files: string[], augmentation: false | { flip: 'horizontal'; rotation: number; seed: number } = false): Promise<void> {
    const model = makeModel({ inputShape: [32, 32, 3], numClasses: 2, augmentation });
    const dense = model.getLayer('predictions');
    const [kernel, bias] = dense.getWeights() as [tf.Tensor, tf.Tensor];
    const pixels = await Promise.all(files.map(async (f) => Float32Array.from(resizeImage(await decodeRgb(f), 32, 32, 'bilinear'))));
    const logits = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(pixels.flatMap((p) => Array.from(p))), [files.length, 32, 32, 3]);
      const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('global_pool').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
      return tf.add(tf.matMul(features, kernel as tf.Tensor2D), bias).dataSync();
    });
    const lo = Math.min(...logits);
    const hi = Math.max(...logits);
    const k = 3 / (hi - lo);
    dense.setWeights([tf.mul(kernel, k), tf.sub(tf.mul(bias, k), k * (lo + hi) / 2)]);
    compileForClasses(model, 2);
    const meta: CheckpointMeta = {
      format: 'pawpipe-checkpoint', formatVersion: 1, runId: 'run-fixture', epoch: 5, epochs: 8, classNames: ['Cat', 'Dog'], imageSize: [32, 32], seed: 1337,
      validationSplit: 0.2, batchSize: 32, labelMode: 'binary', backend: 'wasm', augmentation: augmentation ? { placement: 'model', flip: 'horizontal', rotation: 0.1 } : { placement: 'loader' },
      metrics: { loss: 0.1, accuracy: 0.95 }, optimizer: { className: 'Adam', learningRate: 0.001 }, savedAt: '',
    };
    const dir = await saveCheckpoint(path.join(runDir, 'checkpoints'), model, meta);
    model.dispose();
    cpSync(dir, path.join(runDir, 'best'), { recursive: true });
  }

  beforeAll(async () => {
    await initBackend('wasm');
    root = mkdtempSync(path.join(tmpdir(), 'pawpipe-dash-browser-'));
    runs = path.join(root, 'runs');
    // Pictures the way users have them: the demo's JPEGs (various sizes) and a PNG of another size.
    const data = path.join(root, 'data');
    await generateDemoData({ outDir: data, perClass: 2, seed: 7, plantBroken: false });
    // one flat folder with distinct names (the page shows which file it answered for)
    mkdirSync(path.join(root, 'pictures'));
    images = ['Cat', 'Dog'].flatMap((c) => readdirSync(path.join(data, c)).sort().map((f) => {
      const to = path.join(root, 'pictures', `${c.toLowerCase()}-${f}`);
      cpSync(path.join(data, c, f), to);
      return to;
    }));
    const png = path.join(root, 'wide.png');
    await sharp(images[0]).resize(75, 41, { fit: 'fill' }).png().toFile(png);
    images.push(png);
    writeRun(path.join(runs, 'demo'), { epochs: 8, trained: 8, scored: 8 });
    await checkpointInto(path.join(runs, 'demo'), images);
    writeRun(path.join(runs, 'live'), { epochs: 8, trained: 3, scored: 2 });
    writeRun(path.join(runs, 'option1'), { epochs: 8, trained: 8, scored: 8 });
    await checkpointInto(path.join(runs, 'option1'), images, { flip: 'horizontal', rotation: 0.1, seed: 3 });
    writeFileSync(path.join(root, 'secret.txt'), 'outside the runs folder\n');
    symlinkSync(path.join(root, 'secret.txt'), path.join(runs, 'demo', 'leak.txt'));
    server = new DashboardServer({ runs, port: 0, listen: '127.0.0.1', publicDir: PUBLIC_DIR, pollMs: 250 });
    await server.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
    mkdirSync(DOCS, { recursive: true });
  }, 90_000);
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  });
  afterEach(async () => page?.close());
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Non-background pixels drawn on a chart's canvas: 0 for an empty chart. */
  const inkOf = (p: Page, i: number) => p.evaluate((k) => {
    const c = document.querySelectorAll<HTMLCanvasElement>('.uplot canvas')[k];
    if (!c) return 0;
    const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let n = 0;
    for (let j = 0; j < d.length; j += 4) if ((d[j + 3] as number) > 0 && ((d[j] as number) < 200 || (d[j + 2] as number) < 200)) n++;
    return n;
  }, i);

  test('a finished run\'s page shows its curves, its epoch table with the best epoch, confusion matrix, data report and mistakes', async () => {
    await page.goto(`${server.url}#/run/demo`);
    await page.waitForSelector('#epochs tbody tr:nth-child(8)');
    expect(await page.locator('#runs li').allTextContents()).toEqual([expect.stringMatching(/^demo completed/), expect.stringMatching(/^live running/), expect.stringMatching(/^option1 completed/)]);
    expect(await page.locator('.uplot').count()).toBe(2);
    expect(await inkOf(page, 0)).toBeGreaterThan(200);
    expect(await inkOf(page, 1)).toBeGreaterThan(200);
    const rows = await page.locator('#epochs tbody tr').allTextContents();
    expect(rows).toHaveLength(8);
    // The fixture's val_loss is lowest at epoch 5 (it overfits after): the table marks it and says so.
    expect(await page.locator('#epochs tr.best td').first().textContent()).toBe('5');
    expect(await page.textContent('#best')).toMatch(/^Best epoch: 5 /);
    const e5 = evalLine(5, 8) as { val_loss: number; confusion: number[][] };
    expect(rows[4]).toContain(e5.val_loss.toFixed(4));
    expect(await page.locator('#confusion td').allTextContents()).toEqual(e5.confusion.flat().map(String));
    expect(await page.locator('#data-report tbody tr').count()).toBe(3);
    expect(await page.locator('#mistakes figure').count()).toBe(2);
    expect(await page.textContent('#summary')).toContain('mini_xception');
    await page.screenshot({ path: path.join(DOCS, 'finished-run.png'), fullPage: true });
  });

  test('a running run\'s page updates when a new epoch is written, without a reload', async () => {
    await page.goto(`${server.url}#/run/live`);
    await page.waitForSelector('#epochs tbody tr:nth-child(3)');
    await page.waitForSelector('#live.on');
    await page.evaluate(() => { (window as unknown as { marker: number }).marker = 1; });
    const t0 = Date.now();
    appendFileSync(path.join(runs, 'live', 'history.jsonl'), `${JSON.stringify(historyLine(4))}\n`);
    appendFileSync(path.join(runs, 'live', 'eval.jsonl'), `${JSON.stringify(evalLine(3, 8))}\n`);
    await page.waitForFunction(() => document.querySelectorAll('#epochs tbody tr').length === 4 && document.querySelectorAll('#epochs tbody tr td:nth-child(4)')[2]?.textContent !== '–', null, { timeout: 15_000 });
    console.log(`page showed epoch 4 ${Date.now() - t0} ms after it was written (server polls every 250 ms here, 500 ms by default)`);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1); // same page: no reload
    expect(await page.textContent('#status')).toMatch(/running/);
    await page.screenshot({ path: path.join(DOCS, 'live-run.png'), fullPage: false });
  });

  const cat = (cs: Array<{ name: string; probability: number }>) => cs.find((c) => c.name === 'Cat')?.probability as number;

  /** P(cat) by `pawpipe predict --json`, per image. */
  function predictCli(run: string): number[] {
    const r = spawnSync(process.execPath, [CLI, 'predict', '--model', path.join(runs, run), '--backend', 'wasm', '--json', ...images], {
      encoding: 'utf8', env: { ...process.env, PAWPIPE_CACHE_DIR: path.join(root, 'cache') },
    });
    expect(r.stderr).toBe('');
    return (JSON.parse(r.stdout) as { results: Array<{ path: string; classes: Array<{ name: string; probability: number }> }> }).results.map((x) => cat(x.classes));
  }

  test('"try it" gives pawpipe predict\'s numbers, on webgl and on wasm', async () => {
    const catP = predictCli('demo');
    // The fixture model must tell these images apart, or equal numbers would prove nothing.
    expect(Math.max(...catP) - Math.min(...catP)).toBeGreaterThan(0.05);
    for (const backend of ['webgl', 'wasm']) {
      await page.goto(`${server.url}?backend=${backend}#/run/demo`);
      await page.waitForSelector('#try-model:has-text("epoch 5")');
      // every picture on webgl; on wasm (the fallback) three of them, to keep the test short
      for (const [i, file] of (backend === 'webgl' ? images : images.slice(-3)).entries()) {
        const k = backend === 'webgl' ? i : images.length - 3 + i;
        await page.setInputFiles('#file', file);
        await page.waitForSelector(`#sentence[data-file="${path.basename(file)}"]`, { timeout: 30_000 });
        const shown = await page.locator('#sentence').getAttribute('data-probs');
        const text = await page.textContent('#sentence');
        expect([backend, path.basename(file), text]).toEqual([backend, path.basename(file), expect.stringMatching(/^This image is \d+\.\d\d percent cat and \d+\.\d\d percent dog\.$/)]);
        const browserCat = cat(JSON.parse(shown ?? '[]'));
        console.log(`${backend} ${path.basename(file)}: cat ${(100 * browserCat).toFixed(3)}% in the browser, ${(100 * (catP[k] as number)).toFixed(3)}% by pawpipe predict`);
        expect(Math.abs(browserCat - (catP[k] as number)) * 100).toBeLessThanOrEqual(0.1);
      }
      expect(await page.getAttribute('#sentence', 'data-backend')).toBe(backend);
    }
    await page.locator('#try').screenshot({ path: path.join(DOCS, 'try-it.png') });
  }, 120_000);

  test('a checkpoint with the augmentation layers in the model (Option 1) loads, and gives predict\'s numbers', async () => {
    const catP = predictCli('option1');
    await page.goto(`${server.url}?backend=wasm#/run/option1`);
    await page.waitForSelector('#try-model:has-text("epoch 5")');
    for (const [i, file] of images.slice(0, 2).entries()) {
      await page.setInputFiles('#file', file);
      await page.waitForSelector(`#sentence[data-file="${path.basename(file)}"]`, { timeout: 30_000 });
      const browserCat = cat(JSON.parse((await page.locator('#sentence').getAttribute('data-probs')) ?? '[]'));
      expect(Math.abs(browserCat - (catP[i] as number)) * 100).toBeLessThanOrEqual(0.1);
    }
  }, 60_000);

  test('traversal is refused from the browser too', async () => {
    await page.goto(server.url);
    // (The browser itself turns a whole `%2e%2e` segment into `..` and resolves it: /secret.txt, 404.)
    const statuses = await page.evaluate(async () => Promise.all(['/runs/%2e%2e/secret.txt', '/runs/%2e%2e%2fsecret.txt', '/runs/demo/leak.txt', '/runs/demo/..%2f..%2fsecret.txt', '/runs/demo/model-summary.txt']
      .map(async (u) => { const r = await fetch(u); return [r.status, await r.text()] as const; })));
    expect(statuses.map(([s]) => s)).toEqual([404, 400, 403, 400, 200]);
    expect(statuses.map(([, t]) => t).join('')).not.toContain('outside the runs folder');
    const nav = await page.goto(`${server.url}runs/demo/..%2f..%2fsecret.txt`);
    expect(nav?.status()).toBe(400);
    expect(await page.textContent('body')).not.toContain('outside the runs folder');
  });
}
