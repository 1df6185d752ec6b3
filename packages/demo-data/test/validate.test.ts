import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { POLICIES, scan, type ScanReport } from '@pawpipe/image-validation';
import { generateDemoData, type PlantedFile } from '../src';

/**
 * The end-to-end check: validate-images on a freshly generated demo folder flags exactly
 * the planted files, each with its expected category; and every policy matches the manifest.
 */
let dir: string;
let planted: PlantedFile[];
const reports = new Map<string, ScanReport>();

beforeAll(async () => {
  dir = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'pawpipe-demo-e2e-')), 'pets');
  planted = (await generateDemoData({ outDir: dir, perClass: 15, seed: 1337 })).manifest;
  for (const policy of POLICIES) reports.set(policy, await scan(dir, { policy, cache: false }));
});
afterAll(() => fsp.rm(path.dirname(dir), { recursive: true, force: true }));

test('planted files cover every category', () => {
  expect(new Set(planted.map((p) => p.expected))).toEqual(
    new Set(['ok', 'not-an-image', 'damaged', 'decodes-with-warnings', 'format-mismatch', 'unsupported', 'too-large']),
  );
  expect(new Set(planted.map((p) => p.kind))).toEqual(
    new Set([
      'empty', 'truncated', 'extraneous-bytes', 'png-as-jpg', 'gif-as-jpg', 'bmp-as-jpg', 'webp-as-jpg', 'exif-only', 'cmyk', 'greyscale', 'gigantic-header',
      'random-bytes', 'html', 'bmp-os2', 'bmp-palette-overrun', 'png-extra-idat', 'apng-broken', 'exif-truncated', 'tiff', 'thumbs-db',
    ]),
  );
  expect(new Set(planted.map((p) => p.training))).toEqual(new Set(['used', 'kept-with-warning', 'left-out']));
});

test('the strict verdicts carry a note exactly where the manifest says (truncated Exif)', () => {
  const r = reports.get('strict')!;
  const noted = r.entries.filter((e) => e.note !== undefined).map((e) => e.path).sort();
  expect(noted).toEqual(planted.filter((p) => p.note).map((p) => p.path).sort());
  expect(noted).toHaveLength(1);
  expect(r.entries.find((e) => e.path === noted[0])!).toMatchObject({ category: 'ok', flagged: false, note: expect.stringMatching(/^Exif metadata is truncated/) });
});

test('the new BMP, PNG and APNG cases get their categories with the reasons', () => {
  const r = reports.get('strict')!;
  const of = (kind: string) => r.entries.find((e) => e.path === planted.find((p) => p.kind === kind)!.path)!;
  expect(of('bmp-os2')).toMatchObject({ category: 'ok', reason: expect.stringMatching(/^BMP \d+x\d+ decodes cleanly$/) });
  expect(of('bmp-palette-overrun').reason).toMatch(/past the end of its 16-colour palette/);
  expect(of('png-extra-idat').reason).toMatch(/extra compressed data in IDAT/);
  expect(of('apng-broken').reason).toMatch(/broken APNG frame sequence: frame 1 has a frame control \(fcTL\) but no image data/);
});

test('strict flags exactly the planted files, each with its expected category', () => {
  const r = reports.get('strict')!;
  const flagged = Object.fromEntries(r.entries.filter((e) => e.flagged).map((e) => [e.path, e.category]));
  const expected = Object.fromEntries(planted.filter((p) => p.expected !== 'ok').map((p) => [p.path, p.expected]));
  expect(flagged).toEqual(expected);
  for (const p of planted) expect({ path: p.path, category: r.entries.find((e) => e.path === p.path)!.category }).toEqual({ path: p.path, category: p.expected });
  expect(r.summary.total).toBe(30 + planted.length);
});

test.each(POLICIES.map((p) => [p]))('policy %s flags the planted files the manifest says, and no picture', (policy) => {
  const r = reports.get(policy)!;
  const flagged = r.entries.filter((e) => e.flagged).map((e) => e.path).sort();
  const expected = planted.filter((p) => p.flaggedBy[policy]).map((p) => p.path).sort();
  expect(flagged).toEqual(expected);
});

test('jfif flags the valid Exif-only JPEG; strict does not', () => {
  const exif = planted.find((p) => p.kind === 'exif-only')!;
  expect(reports.get('jfif')!.entries.find((e) => e.path === exif.path)!.flagged).toBe(true);
  expect(reports.get('strict')!.entries.find((e) => e.path === exif.path)!).toMatchObject({ flagged: false, category: 'ok', facts: { exif: true, jfif: false } });
});
