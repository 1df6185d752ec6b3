import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_NAME, quarantine, readManifest, restore, scan } from '../src';
import * as fx from './fixtures';

const sha = async (p: string) => createHash('sha256').update(await fsp.readFile(p)).digest('hex');

async function hashes(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (d: string, rel: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await visit(path.join(d, e.name), r);
      else out[r] = await sha(path.join(d, e.name));
    }
  };
  await visit(root, '');
  return out;
}

async function makeFolder(): Promise<{ root: string; q: string }> {
  const root = await fx.tmpDir('q-data');
  await fx.write(root, 'Cat/0.jpg', await fx.jpeg());
  await fx.write(root, 'Cat/1.jpg', await fx.truncatedJpeg());
  await fx.write(root, 'Cat/sub/2.jpg', await fx.png());
  await fx.write(root, 'Dog/0.jpg', fx.randomBytes());
  await fx.write(root, 'Dog/1.jpg', await fx.jpeg({ seed: 5 }));
  const q = path.join(await fx.tmpDir('q-hold'), 'quarantine');
  return { root, q };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

describe('quarantine and restore', () => {
  test('moves flagged files keeping relative paths; restore gives back identical files', async () => {
    const { root, q } = await makeFolder();
    dirs.push(root, path.dirname(q));
    const before = await hashes(root);
    const report = await scan(root, { cache: false });
    const flagged = report.entries.filter((e) => e.flagged);
    const res = await quarantine(report, flagged, q);
    expect(res.moved.sort()).toEqual(['Cat/1.jpg', 'Cat/sub/2.jpg', 'Dog/0.jpg']);
    expect(res.failed).toEqual([]);
    expect(Object.keys(await hashes(root)).sort()).toEqual(['Cat/0.jpg', 'Dog/1.jpg']);
    const held = await hashes(q);
    expect(held['Cat/sub/2.jpg']).toBe(before['Cat/sub/2.jpg']);
    const m = await readManifest(path.join(q, MANIFEST_NAME));
    expect(m.root).toBe(report.root);
    expect(m.lines.filter((l) => l.type === 'intent')).toHaveLength(3);
    expect(m.lines.filter((l) => l.type === 'done')).toHaveLength(3);

    const r = await restore(path.join(q, MANIFEST_NAME));
    expect(r.restored.sort()).toEqual(['Cat/1.jpg', 'Cat/sub/2.jpg', 'Dog/0.jpg']);
    expect(await hashes(root)).toEqual(before);
    // Running it again changes nothing.
    const again = await restore(path.join(q, MANIFEST_NAME));
    expect(again.restored).toEqual([]);
    expect(await hashes(root)).toEqual(before);
  });

  test('a quarantine inside the scanned folder is refused', async () => {
    const { root } = await makeFolder();
    dirs.push(root);
    const report = await scan(root, { cache: false });
    await expect(quarantine(report, report.entries.filter((e) => e.flagged), path.join(root, 'q'))).rejects.toMatchObject({ code: 'usage' });
  });

  test('across file systems (EXDEV) it copies, fsyncs, then unlinks; restore works the same way', async () => {
    const { root, q } = await makeFolder();
    dirs.push(root, path.dirname(q));
    const before = await hashes(root);
    const report = await scan(root, { cache: false });
    const real = fsp.rename.bind(fsp);
    let refused = 0;
    // Renames out of the data folder (or back into it) fail as they would between two mounts.
    const spy = jest.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      if (path.dirname(String(from)).startsWith(root) !== path.dirname(String(to)).startsWith(root)) {
        refused++;
        throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      }
      return real(from, to);
    });
    try {
      const res = await quarantine(report, report.entries.filter((e) => e.flagged), q);
      expect(res.moved).toHaveLength(3);
      expect(Object.keys(await hashes(q)).filter((k) => k.endsWith('.pawpipe-partial'))).toEqual([]);
      await restore(path.join(q, MANIFEST_NAME));
      expect(await hashes(root)).toEqual(before);
      expect(refused).toBe(6); // three moves out, three back: every one took the copy path
    } finally {
      spy.mockRestore();
    }
  });

  test('restore copes with every half-done state a crash can leave', async () => {
    const { root, q } = await makeFolder();
    dirs.push(root, path.dirname(q));
    const before = await hashes(root);
    const report = await scan(root, { cache: false });
    await quarantine(report, report.entries.filter((e) => e.path === 'Cat/1.jpg'), q);
    const manifest = path.join(q, MANIFEST_NAME);
    // Crash states appended by hand: an intent whose move never happened; a cross-device move
    // killed after the copy (both copies exist) with a partial copy of another file lying around;
    // and a torn last line.
    const lines = [
      { type: 'intent', seq: 2, path: 'Dog/0.jpg', to: 'Dog/0.jpg', bytes: 1, category: 'not-an-image', reason: 'x' },
      { type: 'intent', seq: 3, path: 'Cat/sub/2.jpg', to: 'Cat/sub/2.jpg', bytes: 1, category: 'format-mismatch', reason: 'x' },
    ];
    await fsp.appendFile(manifest, lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"type":"intent","seq":4,"pa');
    await fx.write(q, 'Cat/sub/2.jpg', await fsp.readFile(path.join(root, 'Cat/sub/2.jpg')));
    await fx.write(q, 'Dog/0.jpg.pawpipe-partial', 'half a copy');
    const r = await restore(manifest);
    expect(r.restored).toEqual(['Cat/1.jpg']);
    expect(r.inPlace.sort()).toEqual(['Cat/sub/2.jpg', 'Dog/0.jpg']);
    expect(r.conflicts).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(await hashes(root)).toEqual(before);
    expect(Object.keys(await hashes(q))).toEqual([MANIFEST_NAME]);
  });

  test('a manifest that is not one is refused with bad-manifest', async () => {
    const d = await fx.tmpDir('q-bad');
    dirs.push(d);
    await fx.write(d, 'm.jsonl', 'hello\nworld\n');
    await expect(restore(path.join(d, 'm.jsonl'))).rejects.toMatchObject({ code: 'bad-manifest' });
    await fx.write(d, 'n.jsonl', '{"type":"intent","seq":1}\n');
    await expect(restore(path.join(d, 'n.jsonl'))).rejects.toMatchObject({ code: 'bad-manifest' });
    await expect(restore(path.join(d, 'missing.jsonl'))).rejects.toMatchObject({ code: 'not-found' });
  });
});
