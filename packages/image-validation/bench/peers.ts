import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type PeerResult = { rate: number; files: number; flagged: number } | { missing: string };

const PIN = (cmd: string[]): string[] => (hasTaskset() ? ['taskset', '-c', '0', ...cmd] : cmd);
let tasksetKnown: boolean | undefined;
export function hasTaskset(): boolean {
  tasksetKnown ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetKnown;
}

const PILLOW = `
import sys, time
from PIL import Image
files = [l.rstrip('\\n') for l in open(sys.argv[1])]
bad = 0
t = time.perf_counter()
for f in files:
    try:
        with Image.open(f) as im:
            im.load()
    except Exception:
        bad += 1
dt = time.perf_counter() - t
print(len(files) / dt, bad)
`;

/** Pillow's full decode, `Image.open(f).load()`, one Python process over the whole list. */
export async function pillow(files: string[]): Promise<PeerResult> {
  const py = '/usr/bin/python3';
  if (spawnSync(py, ['-c', 'import PIL']).status !== 0) return { missing: 'Pillow: /usr/bin/python3 with PIL not found (apt-get install python3-pil)' };
  const list = path.join(os.tmpdir(), `pawpipe-bench-list-${process.pid}.txt`);
  await fsp.writeFile(list, files.join('\n') + '\n');
  const r = spawnSync(PIN([py, '-c', PILLOW, list])[0]!, PIN([py, '-c', PILLOW, list]).slice(1), { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  await fsp.rm(list, { force: true });
  const [rate, bad] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || !rate) return { missing: `Pillow: failed (${r.stderr.trim().split('\n').pop()})` };
  return { rate, files: files.length, flagged: bad ?? 0 };
}

/** The source material's fourth method: `identify -verbose f`, a process per file, stderr counts. */
export function identify(files: string[]): PeerResult {
  if (spawnSync('identify', ['-version']).status !== 0) return { missing: 'identify: ImageMagick not found (apt-get install imagemagick)' };
  let flagged = 0;
  const t = process.hrtime.bigint();
  for (const f of files) {
    const cmd = PIN(['identify', '-verbose', f]);
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, MAGICK_THREAD_LIMIT: '1' } });
    if (r.status !== 0 || r.stderr !== '') flagged++;
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  return { rate: files.length / s, files: files.length, flagged };
}
