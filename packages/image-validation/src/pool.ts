import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InspectOptions, Verdict } from './types';

interface Pending {
  resolve: (v: Verdict) => void;
  reject: (e: Error) => void;
}

/**
 * Worker threads running inspect(): the strict policy's JPEG walk is synchronous JS, so spreading
 * files over threads is what puts every core to work (libvips decodes already run on libuv's pool).
 */
export class InspectPool {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];

  private constructor(private readonly workers: Worker[]) {
    this.load = workers.map(() => 0);
    workers.forEach((w, i) => {
      w.on('message', (m: { id: number; verdict?: Verdict; error?: string }) => {
        this.load[i]!--;
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.verdict) p?.resolve(m.verdict);
        else p?.reject(new Error(m.error ?? 'worker failed'));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
    });
  }

  /** A pool of `size` threads, or undefined when running from TypeScript sources (tests) or size < 2. */
  static create(size: number): InspectPool | undefined {
    const file = path.join(__dirname, 'inspect-worker.js');
    if (size < 2 || !existsSync(file)) return undefined;
    return new InspectPool(Array.from({ length: size }, () => new Worker(file)));
  }

  get size(): number {
    return this.workers.length;
  }

  run(file: string, opts: InspectOptions): Promise<Verdict> {
    let best = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[best]!) best = i;
    const id = this.next++;
    this.load[best]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[best]!.postMessage({ id, file, opts });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
