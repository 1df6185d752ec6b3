import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { scan } from '@pawpipe/image-validation';
import { generateKaggleShaped, kaggleFileBytes, kaggleRng, KAGGLE_RATES, planKaggleFile, readKaggleManifest, type KaggleFilePlan } from '../src';

const job = (n: number, over: Partial<Parameters<typeof kaggleFileBytes>[0]> = {}) => ({ seed: 7, classSeed: 11, cls: 0, n, file: '', ...over });

describe('the plan of 25,000 files (12,500 per class, as PetImages)', () => {
  const plans: Array<KaggleFilePlan & { cls: number; n: number }> = [];
  beforeAll(() => {
    for (const cls of [0, 1]) for (let n = 0; n < 12500; n++) plans.push({ ...planKaggleFile(kaggleRng(1337, 99 + cls, cls, n), cls, n), cls, n });
  });
  const share = (f: (p: KaggleFilePlan) => boolean) => plans.filter(f).length / plans.length;

  it('is mostly 500x375 and 375x500, with smaller pictures and a few up to ~1000 pixels', () => {
    const main = share((p) => (p.width === 500 && p.height === 375) || (p.width === 375 && p.height === 500));
    expect(main).toBeGreaterThan(0.6);
    expect(main).toBeLessThan(0.75);
    expect(share((p) => Math.max(p.width, p.height) < 500)).toBeGreaterThan(0.1);
    const large = share((p) => Math.max(p.width, p.height) > 500);
    expect(large).toBeGreaterThan(0.005);
    expect(large).toBeLessThan(0.04);
    expect(Math.max(...plans.map((p) => Math.max(p.width, p.height)))).toBeLessThanOrEqual(1050);
    expect(Math.min(...plans.map((p) => Math.min(p.width, p.height)))).toBeGreaterThanOrEqual(60);
  });

  it("has Kaggle's share of Exif JPEGs without JFIF (1,590 of 25,000), some greyscale and CMYK", () => {
    expect(Math.abs(share((p) => p.header === 'exif-only') - 1590 / 25000)).toBeLessThan(0.005);
    expect(Math.abs(share((p) => p.colour === 'greyscale') - KAGGLE_RATES.greyscale)).toBeLessThan(0.0015);
    const cmyk = plans.filter((p) => p.colour === 'cmyk').length;
    expect(cmyk).toBeGreaterThan(5);
    expect(cmyk).toBeLessThan(60);
  });

  it("has Kaggle's broken files: its two 0-byte files by name, and a few dozen unreadable or cut-off ones", () => {
    const empty = plans.filter((p) => p.broken === 'empty').map((p) => [p.cls, p.n]);
    expect(empty).toEqual([[0, 666], [1, 11702]]);
    const random = plans.filter((p) => p.broken === 'random-bytes').length;
    const truncated = plans.filter((p) => p.broken === 'truncated').length;
    expect(random).toBeGreaterThan(5);
    expect(random).toBeLessThan(40);
    expect(truncated).toBeGreaterThan(5);
    expect(truncated).toBeLessThan(40);
  });
});

describe('file bytes', () => {
  it('are the same for the same seed, class and number, and differ for another seed', async () => {
    const a = await kaggleFileBytes(job(3));
    expect((await kaggleFileBytes(job(3))).equals(a)).toBe(true);
    expect((await kaggleFileBytes(job(3, { seed: 8 }))).equals(a)).toBe(false);
    expect((await kaggleFileBytes(job(4))).equals(a)).toBe(false);
  });

  it('have the planned size, header and colour', async () => {
    const zero = { ...KAGGLE_RATES, randomBytes: 0, truncated: 0 };
    const cases = [
      { rates: { ...zero, exifOnly: 1, greyscale: 0, cmyk: 0 }, space: 'srgb', channels: 3, exif: true, jfif: false },
      { rates: { ...zero, exifOnly: 0, greyscale: 0, cmyk: 0 }, space: 'srgb', channels: 3, exif: false, jfif: true },
      { rates: { ...zero, exifOnly: 0, greyscale: 1, cmyk: 0 }, space: 'b-w', channels: 1, exif: false, jfif: true },
      { rates: { ...zero, exifOnly: 0, greyscale: 0, cmyk: 1 }, space: 'cmyk', channels: 4, exif: false, jfif: false },
    ];
    for (const [i, c] of cases.entries()) {
      const j = job(i, { rates: c.rates });
      const plan = planKaggleFile(kaggleRng(j.seed, j.classSeed, j.cls, j.n), j.cls, j.n, c.rates);
      const bytes = await kaggleFileBytes(j);
      const meta = await sharp(bytes).metadata();
      expect({ w: meta.width, h: meta.height, space: meta.space, channels: meta.channels, format: meta.format }).toEqual({
        w: plan.width, h: plan.height, space: c.space, channels: c.channels, format: 'jpeg',
      });
      // The Keras tutorial's filter looks for "JFIF" in the first read buffer (4 KiB).
      expect(bytes.subarray(0, 4096).includes('JFIF')).toBe(c.jfif);
      expect(bytes[2] === 0xff && bytes[3] === 0xe1 && bytes.subarray(6, 10).toString('latin1') === 'Exif').toBe(c.exif);
    }
  });
});

describe('generateKaggleShaped', () => {
  let root: string;
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'pawpipe-kaggle-'));
  });
  afterAll(() => fsp.rm(root, { recursive: true, force: true }));

  it('writes a folder whose broken files are exactly the ones image-validation flags', async () => {
    const out = path.join(root, 'pets');
    // More broken, greyscale and CMYK files than Kaggle's rates, so 2 x 30 files hold each kind.
    const rates = { randomBytes: 0.08, truncated: 0.12, greyscale: 0.1, cmyk: 0.1, exifOnly: 0.2 };
    const { manifest } = await generateKaggleShaped({ outDir: out, perClass: 30, seed: 5, rates });
    expect(await readKaggleManifest(out)).toEqual(manifest);
    expect(manifest.files).toBe(60);
    expect(new Set(manifest.broken.map((b) => b.kind))).toEqual(new Set(['random-bytes', 'truncated']));
    expect(manifest.counts.greyscale).toBeGreaterThan(0);
    expect(manifest.counts.cmyk).toBeGreaterThan(0);
    expect(manifest.counts.exifOnly).toBeGreaterThan(0);
    const names = (await fsp.readdir(path.join(out, 'Cat'))).sort();
    expect(names).toContain('Thumbs.db');
    expect(names.filter((n) => n.endsWith('.jpg'))).toHaveLength(30);

    const report = await scan(out, { policy: 'strict', cache: false });
    const flaggedJpegs = report.entries.filter((e) => e.flagged && e.path.endsWith('.jpg')).map((e) => e.path).sort();
    expect(flaggedJpegs).toEqual(manifest.broken.map((b) => b.path).sort());
    for (const b of manifest.broken) {
      expect(report.entries.find((e) => e.path === b.path)!.category).toBe(b.kind === 'truncated' ? 'damaged' : 'not-an-image');
    }

    // The same seed gives the same bytes.
    const again = path.join(root, 'again');
    await generateKaggleShaped({ outDir: again, perClass: 30, seed: 5, rates });
    for (const f of ['Cat/0.jpg', 'Dog/29.jpg', manifest.broken[0]!.path]) {
      expect((await fsp.readFile(path.join(again, f))).equals(await fsp.readFile(path.join(out, f)))).toBe(true);
    }
  });

  it('refuses a non-empty folder it did not make, and a bad --per-class', async () => {
    const mine = path.join(root, 'mine');
    await fsp.mkdir(mine);
    await fsp.writeFile(path.join(mine, 'notes.txt'), 'keep me');
    await expect(generateKaggleShaped({ outDir: mine, perClass: 2 })).rejects.toMatchObject({ code: 'not-empty' });
    expect(await fsp.readFile(path.join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    await expect(generateKaggleShaped({ outDir: path.join(root, 'x'), perClass: 0 })).rejects.toMatchObject({ code: 'usage' });
  });
});
