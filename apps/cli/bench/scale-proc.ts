/**
 * Child processes for the scale bench, watched from outside: peak RSS (VmHWM, the kernel's
 * high-water mark, read until the process exits) and CPU seconds (utime + stime).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Watched {
  code: number | null;
  wallS: number;
  peakRssBytes: number;
  cpuS: number;
  stdout: string;
  stderr: string;
}

const TICK = 100; // USER_HZ on Linux

function sample(pid: number): { hwm: number; cpu: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    // /proc/PID/stat: fields after the ")" of the command name; utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / TICK;
    return { hwm, cpu };
  } catch {
    return undefined; // exited between samples
  }
}

export interface RunningChild {
  pid: number;
  done: Promise<Watched>;
  kill(): void;
}

export function watch(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): RunningChild {
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peak = 0;
  let cpu = 0;
  const poll = setInterval(() => {
    const s = sample(child.pid!);
    if (s) {
      peak = Math.max(peak, s.hwm);
      cpu = Math.max(cpu, s.cpu);
    }
  }, 200);
  const done = new Promise<Watched>((resolve) => {
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, wallS: Number(process.hrtime.bigint() - t0) / 1e9, peakRssBytes: peak, cpuS: cpu, stdout, stderr });
    });
  });
  return { pid: child.pid!, done, kill: () => child.kill('SIGTERM') };
}
