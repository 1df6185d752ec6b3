/**
 * `pnpm bench`: images/second per core for decode + resize to 180x180 + flip + rotation on
 * 500x375 photo-like JPEGs, this package against Pillow + torchvision, in the same run.
 *
 * One core each: both sides run under `taskset -c 0` (when available); the Node side also sets
 * UV_THREADPOOL_SIZE=1 and sharp.concurrency(1), Python sets torch.set_num_threads(1). The two
 * alternate for several rounds and each keeps its best round, which damps noise from other work
 * on the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensurePhotos } from './photos';

const COUNT = Number(process.env['BENCH_IMAGES'] ?? 300);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const PYTHON = process.env['BENCH_PYTHON'] ?? '/usr/bin/python3';

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

function runPinned(cmd: string, args: string[], env: NodeJS.ProcessEnv): Record<string, number> {
  const pin = hasTaskset();
  const out = execFileSync(pin ? 'taskset' : cmd, pin ? ['-c', '0', cmd, ...args] : args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

async function main(): Promise<void> {
  const dir = await ensurePhotos(path.join(os.tmpdir(), 'pawpipe-bench-photos'), COUNT);
  const nodeScript = path.join(__dirname, 'node-side.js');
  const pyScript = path.join(__dirname, '..', '..', '..', 'bench', 'pillow_torchvision.py');
  console.log(`${COUNT} JPEGs 500x375 q90 in ${dir}; ${ROUNDS} rounds; one core each (${hasTaskset() ? 'taskset -c 0' : 'NOT pinned: taskset missing'}); machine load ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores`);
  const keys = ['firstWall', 'firstCpu', 'cachedWall', 'cachedCpu', 'decodeWall', 'decodeCpu', 'keptWall', 'keptCpu'] as const;
  const best: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  const keep = (r: Record<string, number>) => {
    for (const k of keys) if (r[k] !== undefined) best[k] = Math.max(best[k]!, r[k]!);
  };
  let pyOk = true;
  for (let r = 0; r < ROUNDS; r++) {
    const n = runPinned(process.execPath, [nodeScript, dir, '3'], { UV_THREADPOOL_SIZE: '1' });
    keep(n);
    let line = `round ${r + 1}: pawpipe first ${n['firstCpu']!.toFixed(0)}/cpu-s cached ${n['cachedCpu']!.toFixed(0)}/cpu-s`;
    if (pyOk) {
      try {
        const p = runPinned(PYTHON, [pyScript, dir, '1'], {});
        keep(p);
        line += `; Pillow+torchvision ${p['decodeCpu']!.toFixed(0)}/cpu-s`;
      } catch (e) {
        pyOk = false;
        console.log(`Pillow/torchvision side failed (${(e as Error).message.split('\n')[0]}); install python3-pil python3-torchvision`);
      }
    }
    console.log(line);
  }
  const b = (k: string) => best[k]!;
  const f = (v: number) => v.toFixed(0).padStart(6);
  console.log('\nimages per second on one core (best round; CPU-time based, then wall clock pinned to core 0)');
  console.log('                                 first epoch (decode)      later epochs');
  console.log(`pawpipe data-pipeline            ${f(b('firstCpu'))} /cpu-s ${f(b('firstWall'))} /s   ${f(b('cachedCpu'))} /cpu-s ${f(b('cachedWall'))} /s  (cache)`);
  if (pyOk) {
    console.log(`Pillow + torchvision             ${f(b('decodeCpu'))} /cpu-s ${f(b('decodeWall'))} /s   ${f(b('decodeCpu'))} /cpu-s ${f(b('decodeWall'))} /s  (decodes again)`);
    console.log(`ratio (goal 2x / 10x)            ${(b('firstCpu') / b('decodeCpu')).toFixed(2)}x cpu   ${(b('firstWall') / b('decodeWall')).toFixed(2)}x wall   ${(b('cachedCpu') / b('decodeCpu')).toFixed(2)}x cpu   ${(b('cachedWall') / b('decodeWall')).toFixed(2)}x wall`);
    console.log(`for reference, Pillow with the resized images kept in memory: ${f(b('keptCpu'))} /cpu-s; cached ratio against it ${(b('cachedCpu') / b('keptCpu')).toFixed(2)}x`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
