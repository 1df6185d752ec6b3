import { randomBytes } from 'node:crypto';
import { Dealer } from 'zeromq';
import { CONTROL_MAX_MESSAGE_BYTES, DEFAULT_HEARTBEAT_MS } from './constants';
import { decodeTrainerMessage } from './decode';
import { encodeBatch, encodeControl } from './encode';
import { applyCurveClient } from './curve';
import type { CurveClient } from './curve';
import { ProtocolError } from './errors';
import type { DatasetFingerprint } from './messages';
import { Rejections } from './rejections';
import { SendQueue } from './send-queue';

export interface ProducedBatch {
  images: Uint8Array;
  shape: [number, number, number, number];
  labels: Float32Array;
  skipped?: string[];
}

export interface WorkerOptions {
  /** the trainer's data endpoint, e.g. tcp://127.0.0.1:5555 */
  endpoint: string;
  loaderId: string;
  /** defaults to a random id: a restarted process is a new incarnation */
  incarnation?: string;
  /** credit: most batches outstanding at once (the prefetch window) */
  window: number;
  /** batches produced at the same time (at most `window`) */
  concurrency?: number;
  dataset: DatasetFingerprint;
  produce: (epoch: number, index: number) => Promise<ProducedBatch>;
  heartbeatMs?: number;
  /** CURVE: the trainer's public key and ours; unset: plain TCP */
  curve?: CurveClient;
  log?: (line: string) => void;
}

export interface WorkerStats { produced: number; assigned: number; resets: number }

/**
 * The loader's side of the data channel: a DEALER that says HELLO, receives (epoch, index)
 * assignments (never more than its window: credit-based flow control), produces each batch and
 * sends it back. Heartbeats flow both ways; a trainer that does not know us (it restarted) answers
 * RESET and we say HELLO again, dropping assignments we had not started.
 */
export class BatchWorker {
  readonly rejections: Rejections;
  readonly stats: WorkerStats = { produced: 0, assigned: 0, resets: 0 };
  readonly incarnation: string;
  /** resolves with the trainer's reason when training is over; rejects when the trainer refuses us or failed */
  readonly finished: Promise<string>;

  private readonly socket: Dealer;
  private readonly queue: SendQueue;
  private readonly log: (line: string) => void;
  private readonly heartbeatMs: number;
  private readonly concurrency: number;
  private pending: Array<{ epoch: number; index: number; generation: number }> = [];
  private running = 0;
  private generation = 0;
  private runId: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private lastHeard = Date.now();
  private warnedSilence = false;
  private closed = false;
  private settle!: { resolve: (reason: string) => void; reject: (e: Error) => void };

  constructor(private readonly opts: WorkerOptions) {
    this.incarnation = opts.incarnation ?? randomBytes(6).toString('hex');
    this.log = opts.log ?? (() => undefined);
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.concurrency = Math.max(1, Math.min(opts.concurrency ?? opts.window, opts.window));
    this.rejections = new Rejections(this.log, 'trainer message');
    this.socket = new Dealer({ linger: 1000, maxMessageSize: CONTROL_MAX_MESSAGE_BYTES });
    this.queue = new SendQueue(this.socket, (e) => this.log(`send failed: ${e.message}`));
    this.finished = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.finished.catch(() => undefined);
  }

  async start(): Promise<void> {
    try {
      if (this.opts.curve) applyCurveClient(this.socket, this.opts.curve);
      this.socket.connect(this.opts.endpoint);
    } catch (e) {
      throw new ProtocolError('bad-endpoint', `cannot connect to ${this.opts.endpoint}: ${(e as Error).message}`, { cause: e });
    }
    this.loop = this.receiveLoop();
    this.hello();
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
  }

  async stop(reason = 'stopping'): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Tell the trainer at once so it reassigns our work without waiting for the heartbeat timeout.
    await Promise.race([this.queue.send(encodeControl({ type: 'bye', reason })), delay(500)]);
    this.closed = true;
    this.queue.close();
    this.socket.close();
    await this.loop?.catch(() => undefined);
    this.settle.resolve(reason);
  }

  private hello(): void {
    void this.queue.send(encodeControl({
      type: 'hello', loaderId: this.opts.loaderId, incarnation: this.incarnation, window: this.opts.window, dataset: this.opts.dataset,
    }));
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        this.lastHeard = Date.now();
        this.warnedSilence = false;
        const decoded = decodeTrainerMessage(frames);
        if (!decoded.ok) {
          this.rejections.note(decoded.reason, 'trainer');
          continue;
        }
        const msg = decoded.message;
        switch (msg.type) {
          case 'welcome':
            this.runId = msg.runId;
            this.log(`joined run ${msg.runId}`);
            break;
          case 'assign':
            this.runId = msg.runId;
            this.stats.assigned++;
            this.pending.push({ epoch: msg.epoch, index: msg.index, generation: this.generation });
            this.work();
            break;
          case 'reset':
            // The trainer restarted or gave up on us: what we had not started is no longer ours.
            this.stats.resets++;
            this.generation++;
            this.pending = [];
            this.log(`trainer asked for a new HELLO (${msg.reason})`);
            this.hello();
            break;
          case 'malformed':
            this.log(`trainer rejected one of our messages: ${msg.reason}`);
            break;
          case 'reject':
            this.log(`trainer refused this loader: ${msg.reason}`);
            this.settle.reject(new ProtocolError('rejected', msg.reason));
            return;
          case 'done':
            if (msg.status === 'failed') this.settle.reject(new ProtocolError('trainer-failed', `the trainer stopped: ${msg.reason}`));
            else this.settle.resolve(msg.reason);
            return;
          case 'heartbeat':
            break;
        }
      }
    } catch (e) {
      if (!this.closed) {
        this.log(`receive loop ended: ${(e as Error).message}`);
        this.settle.reject(e as Error);
      }
    }
  }

  private work(): void {
    while (!this.closed && this.running < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift() as { epoch: number; index: number; generation: number };
      this.running++;
      void this.produceOne(job).finally(() => {
        this.running--;
        this.work();
      });
    }
  }

  private async produceOne(job: { epoch: number; index: number }): Promise<void> {
    let b: ProducedBatch;
    try {
      b = await this.opts.produce(job.epoch, job.index);
    } catch (e) {
      // The trainer will reassign it when we die; a loader that cannot produce a batch is broken.
      this.settle.reject(new ProtocolError('closed', `could not produce batch (${job.epoch}, ${job.index}): ${(e as Error).message}`, { cause: e }));
      return;
    }
    if (this.closed || !this.runId) return;
    this.stats.produced++;
    const d = this.opts.dataset;
    await this.queue.send(encodeBatch({
      runId: this.runId, epoch: job.epoch, index: job.index, batchCount: d.numBatches, shape: b.shape,
      labelMode: d.labelMode, classNames: d.classNames, images: b.images, labels: b.labels, skipped: b.skipped,
    }));
  }

  private tick(): void {
    void this.queue.send(encodeControl({ type: 'heartbeat' }));
    const silent = Date.now() - this.lastHeard;
    if (silent > 10 * this.heartbeatMs && !this.warnedSilence) {
      this.warnedSilence = true;
      this.log(`no word from the trainer at ${this.opts.endpoint} for ${Math.round(silent / 1000)}s; waiting`);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
