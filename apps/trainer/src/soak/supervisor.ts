import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One life of a supervised process: from spawn to exit, with its RSS sampled. */
export interface Life {
  role: string;
  n: number;
  pid: number;
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  killed: boolean;
  /** ended by the soak with SIGTERM (not a fault) */
  terminated: boolean;
  /** [time ms, RSS bytes] */
  rss: Array<[number, number]>;
  stderrTail: string;
}

/** Reads a live process's resident set size from /proc (Linux); null once it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Keeps one process of a role running: start(), kill9() then start() again; every life is kept
 * with its exit and its RSS samples, so the soak can judge memory per life.
 */
export class Supervised {
  readonly lives: Life[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(readonly role: string, private readonly command: () => string[], private readonly env: NodeJS.ProcessEnv) {}

  get current(): Life | null {
    const l = this.lives[this.lives.length - 1];
    return l && l.endedAt === null ? l : null;
  }

  start(): Life {
    const [cmd, ...args] = this.command();
    const child = spawn(cmd as string, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const life: Life = { role: this.role, n: this.lives.length + 1, pid: child.pid as number, startedAt: Date.now(), endedAt: null, exitCode: null, killed: false, terminated: false, rss: [], stderrTail: '' };
    child.stderr?.on('data', (d: Buffer) => { life.stderrTail = (life.stderrTail + d.toString()).slice(-20_000); });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      life.endedAt = Date.now();
      life.exitCode = code ?? (signal ? -1 : null);
      resolve(life.exitCode);
    }));
    this.child = child;
    this.lives.push(life);
    return life;
  }

  sample(now: number): void {
    const life = this.current;
    if (!life) return;
    const rss = rssOf(life.pid);
    if (rss !== null) life.rss.push([now, rss]);
  }

  /** kill -9 by pid and wait for the exit. */
  async kill9(): Promise<void> {
    const life = this.current;
    if (!life || !this.child) return;
    life.killed = true;
    try { process.kill(life.pid, 'SIGKILL'); } catch { /* gone already */ }
    await this.exited;
  }

  /** SIGTERM by pid: a clean stop, not a fault. */
  terminate(): void {
    const life = this.current;
    if (!life || life.terminated) return;
    life.terminated = true;
    try { process.kill(life.pid, 'SIGTERM'); } catch { /* gone already */ }
  }

  /** Resolves with the exit code of the current life (null if none runs). */
  wait(): Promise<number | null> {
    return this.exited;
  }
}
