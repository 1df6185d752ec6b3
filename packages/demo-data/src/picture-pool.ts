import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KaggleJob } from './kaggle-picture';
import type { PictureJob } from './picture';

/**
 * Worker threads for drawing: the pixels are drawn in JS, so threads are what uses every core.
 * Undefined when running from TypeScript sources (tests), which then draw on the main thread.
 */
export class PicturePool {
  private next = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; worker: number }>();
  private readonly load: number[];

  private constructor(private readonly workers: Worker[]) {
    this.load = workers.map(() => 0);
    workers.forEach((w) => {
      w.on('message', (m: { id: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.load[p.worker]!--;
        if (m.error) p.reject(new Error(m.error));
        else p.resolve();
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
    });
  }

  static create(size: number): PicturePool | undefined {
    const file = path.join(__dirname, 'picture-worker.js');
    if (size < 2 || !existsSync(file)) return undefined;
    return new PicturePool(Array.from({ length: size }, () => new Worker(file)));
  }

  get size(): number {
    return this.workers.length;
  }

  run(job: PictureJob | KaggleJob, kaggle = false): Promise<void> {
    let best = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[best]!) best = i;
    const id = this.next++;
    this.load[best]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: best });
      this.workers[best]!.postMessage({ id, job, kaggle });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
