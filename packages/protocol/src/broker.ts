import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BrokerOptions, BrokerStats, ReceivedBatch } from './broker-core';
import type { FromThread, Snapshot, ThreadOptions, ToThread } from './broker-messages';
import { ProtocolError } from './errors';
import type { ProtocolErrorCode } from './errors';
import type { DatasetFingerprint } from './messages';

export type { BrokerOptions, BrokerStats, ReceivedBatch, DatasetExpectation } from './broker-core';

/**
 * Batches the broker thread hands over ahead of the one being consumed, so the next step's data is
 * already on this thread; they count within maxAhead.
 */
const PREFETCH = 2;

/**
 * The broker thread's script. Under ts-jest this file runs from src/, and a worker thread cannot
 * load TypeScript: it takes the built one (turbo builds before it tests).
 */
function threadScript(): string {
  return __filename.endsWith('.ts') ? path.join(__dirname, '..', 'dist', 'broker-thread.js') : path.join(__dirname, 'broker-thread.js');
}

/**
 * The trainer's side of the data channel (the load balancing, credit, heartbeats, reassignment
 * and reorder buffer of BrokerCore, broker-core.ts), run in a worker thread of its own.
 *
 * Why a thread: the trainer's main thread spends seconds at a time inside a synchronous training
 * step (one wasm step at 180x180 takes ~7 s, more than the default 5 s liveness). On the main
 * thread, the trainer's heartbeats to its loaders stopped for as long, and loaders' beats waited
 * unread. In the broker thread, heartbeats go out, are read, and are timed on schedule whatever
 * the main thread does, and a flood of malformed messages is decoded and muted there, on another
 * core, without slowing training. libzmq's ZMTP heartbeats (ZMQ_HEARTBEAT_IVL/TTL/TIMEOUT) were
 * the other choice: they run in libzmq's I/O thread, but a ROUTER does not say which routing id a
 * timed-out connection had, so the broker could not tell whose work to reassign, and the
 * protocol's own heartbeats (which pyzmq clients send) would still be read late.
 *
 * Batches cross threads as transferred buffers (one copy, in the broker thread); stats, loaders()
 * and rejections are snapshots the thread posts when they change.
 */
export class BatchBroker {
  readonly stats: BrokerStats = { received: 0, duplicates: 0, stale: 0, unassigned: 0, reassigned: 0, deadLoaders: 0, muted: 0, mutes: 0, waitMs: 0 };
  /** rejected messages: total and counts by reason (as Rejections.summary()) */
  readonly rejections: Snapshot['rejections'] = { total: 0, byReason: {} };
  dataset: DatasetFingerprint | null = null;

  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly prefetch: number;
  private boundAddress: string | null = null;
  private loaderList: Snapshot['loaders'] = [];
  private readonly log: (line: string) => void;
  private datasetWaiters: Array<{ resolve: (d: DatasetFingerprint) => void; reject: (e: Error) => void }> = [];
  private readonly acks = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private plan: { numBatches: number; total: number; generation: number } | null = null;
  private consumed = 0;
  private arrived: ReceivedBatch[] = [];
  private waiter: { resolve: (b: ReceivedBatch) => void; reject: (e: Error) => void } | null = null;
  private closed = false;
  private stopping: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(private readonly opts: BrokerOptions) {
    this.log = opts.log ?? (() => undefined);
    this.prefetch = Math.max(0, Math.min(PREFETCH, (opts.maxAhead ?? 16) - 2));
  }

  get address(): string {
    return this.boundAddress ?? this.opts.endpoint;
  }

  async start(): Promise<void> {
    const { log: _log, ...data } = this.opts;
    // The one batch being waited for and the prefetched ones are ahead of consumption too.
    const maxAhead = Math.max(1, (this.opts.maxAhead ?? 16) - 1 - this.prefetch);
    const worker = new Worker(threadScript(), { workerData: { ...data, maxAhead } satisfies ThreadOptions });
    this.worker = worker;
    this.exited = new Promise((r) => worker.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'started') {
          this.boundAddress = m.address;
          resolve();
        } else if (m.type === 'failed') {
          reject(new ProtocolError((m.code as ProtocolErrorCode | undefined) ?? 'bad-endpoint', m.message));
        } else {
          this.onMessage(m);
        }
      });
      worker.on('error', (e) => {
        reject(e);
        this.fail(new ProtocolError('closed', `the broker thread failed: ${e.message}`));
      });
      worker.on('exit', (code) => {
        reject(new ProtocolError('closed', `the broker thread exited (${code}) before it listened`));
        if (!this.closed) this.fail(new ProtocolError('closed', `the broker thread exited (${code})`));
      });
    });
  }

  /** Resolves with the dataset fingerprint of the first admitted loader. */
  waitForDataset(): Promise<DatasetFingerprint> {
    if (this.dataset) return Promise.resolve(this.dataset);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.datasetWaiters.push({ resolve, reject }));
  }

  /** Serve epochs [startEpoch, epochs) (0-based): assignments flow across epoch boundaries. */
  serve(startEpoch: number, epochs: number): void {
    if (!this.dataset) throw new ProtocolError('closed', 'serve() before any loader said HELLO');
    const numBatches = this.dataset.numBatches;
    const generation = (this.plan?.generation ?? 0) + 1;
    this.plan = { numBatches, total: Math.max(0, epochs - startEpoch) * numBatches, generation };
    this.consumed = 0;
    this.arrived = [];
    this.post({ type: 'serve', generation, startEpoch, epochs, total: this.plan.total, credit: 1 + this.prefetch });
  }

  /** The next batch in (epoch, index) order. */
  async next(): Promise<ReceivedBatch> {
    const plan = this.plan;
    if (!plan) throw new ProtocolError('closed', 'next() before serve()');
    if (this.closed || this.failure) throw this.failure ?? new ProtocolError('closed', 'broker is closed');
    if (this.consumed >= plan.total) throw new ProtocolError('closed', 'every planned batch was consumed');
    let batch = this.arrived.shift();
    if (!batch) {
      const t0 = performance.now();
      batch = await new Promise<ReceivedBatch>((resolve, reject) => { this.waiter = { resolve, reject }; });
      this.stats.waitMs += performance.now() - t0;
    }
    this.consumed++;
    this.post({ type: 'take' });
    return batch;
  }

  /** The batches of one epoch, in index order. */
  async *epoch(epoch: number): AsyncGenerator<ReceivedBatch> {
    const plan = this.plan;
    if (!plan) throw new ProtocolError('closed', 'epoch() before serve()');
    for (let i = 0; i < plan.numBatches; i++) {
      const b = await this.next();
      if (b.epoch !== epoch || b.index !== i) {
        throw new ProtocolError('closed', `expected batch (${epoch}, ${i}), the plan gave (${b.epoch}, ${b.index})`);
      }
      yield b;
    }
  }

  /** Loaders currently known, with their outstanding work (as of the broker thread's last snapshot). */
  loaders(): Snapshot['loaders'] {
    return this.loaderList.map((l) => ({ ...l }));
  }

  /** Bring stats, rejections and loaders() up to date with the broker thread. */
  refresh(): Promise<void> {
    return this.request((id) => ({ type: 'refresh', id }));
  }

  /** Tell every loader (and any that speaks later) that training is over. */
  finish(reason: string, status: 'completed' | 'failed' = 'completed'): Promise<void> {
    return this.request((id) => ({ type: 'finish', id, reason, status }));
  }

  /** Stops the broker thread; a second call waits for the first. Exit the process only after it resolves. */
  stop(): Promise<void> {
    this.closed = true;
    this.stopping ??= this.stopThread();
    return this.stopping;
  }

  private async stopThread(): Promise<void> {
    const worker = this.worker;
    if (worker) {
      this.post({ type: 'stop', id: this.nextId++ });
      // The thread ends once its socket is closed. It is not terminate()d: a zeromq socket still
      // open when a worker thread is torn down aborts the whole process.
      await this.exited;
    }
    this.fail(new ProtocolError('closed', 'broker stopped'));
  }

  // ---- internals ----

  private post(m: ToThread): void {
    this.worker?.postMessage(m);
  }

  private request(make: (id: number) => ToThread): Promise<void> {
    if (this.failure || !this.worker) return Promise.reject(this.failure ?? new ProtocolError('closed', 'broker not started'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.acks.set(id, { resolve, reject });
      this.post(make(id));
    });
  }

  private onMessage(m: FromThread): void {
    switch (m.type) {
      case 'log':
        this.log(m.line);
        return;
      case 'snapshot': {
        const { waitMs } = this.stats;
        Object.assign(this.stats, m.snapshot.stats, { waitMs });
        this.rejections.total = m.snapshot.rejections.total;
        this.rejections.byReason = m.snapshot.rejections.byReason;
        this.loaderList = m.snapshot.loaders;
        return;
      }
      case 'dataset':
        this.dataset = m.dataset;
        for (const w of this.datasetWaiters) w.resolve(m.dataset);
        this.datasetWaiters = [];
        return;
      case 'batch': {
        if (m.generation !== this.plan?.generation) return;
        const w = this.waiter;
        if (w) {
          this.waiter = null;
          w.resolve(m.batch);
        } else {
          this.arrived.push(m.batch);
        }
        return;
      }
      case 'ack':
        this.acks.get(m.id)?.resolve();
        this.acks.delete(m.id);
        return;
      default:
        return;
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiter?.reject(err);
    this.waiter = null;
    for (const w of this.datasetWaiters) w.reject(err);
    this.datasetWaiters = [];
    for (const a of this.acks.values()) a.reject(err);
    this.acks.clear();
  }
}
