import { Router } from 'zeromq';
import type { Context } from 'zeromq';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_LIVENESS } from './constants';
import { decodeLoaderMessage } from './decode';
import { encodeControl } from './encode';
import { applyCurveServer } from './curve';
import type { CurveServer } from './curve';
import { bindWithRetry } from './bind';
import { ProtocolError } from './errors';
import { FloodGuard } from './flood-guard';
import type { BatchMessage, DatasetFingerprint, Hello } from './messages';
import { Rejections } from './rejections';
import { SendQueue } from './send-queue';

/** A batch as the trainer consumes it: in (epoch, index) order, whatever loader produced it. */
export interface ReceivedBatch {
  epoch: number;
  index: number;
  batchCount: number;
  shape: [number, number, number, number];
  images: Uint8Array;
  labels: Float32Array;
  labelMode: DatasetFingerprint['labelMode'];
  classNames: string[];
  skipped: string[];
  /** loaderId of the producer */
  from: string;
}

export interface BrokerOptions {
  /** ZeroMQ endpoint to bind, e.g. tcp://127.0.0.1:5555 */
  endpoint: string;
  runId: string;
  /** ZMQ_MAXMSGSIZE: the largest inbound frame accepted (see batchMessageBudget) */
  maxMessageSize: number;
  heartbeatMs?: number;
  /** missed heartbeats before a loader is declared dead and its work reassigned */
  liveness?: number;
  /** most batches handed out or waiting in the reorder buffer ahead of the one being consumed */
  maxAhead?: number;
  /**
   * What an admitted loader's dataset must have besides matching the other loaders' (the trainer's
   * flags, its checkpoint). Data, not a callback: the broker runs in its own thread (broker.ts).
   */
  expect?: DatasetExpectation[];
  /** rejected messages a peer may send per liveness window before it is muted (default 50) */
  maxRejectsPerPeer?: number;
  /** CURVE: encrypt and admit only clients with the right keys (see curve.ts); unset: plain TCP */
  curve?: CurveServer;
  log?: (line: string) => void;
}

/** One field a loader's dataset must hold, and where the trainer's value comes from (for the refusal). */
export interface DatasetExpectation {
  field: 'imageSize' | 'batchSize' | 'classNames' | 'seed' | 'validationSplit' | 'labelMode';
  value: DatasetFingerprint[DatasetExpectation['field']];
  /** whose value it is, for the refusal: e.g. "the trainer's --image-size", "the checkpoint's" */
  from: string;
}

/** The refusal for the first expectation a dataset does not meet, or null. */
export function checkExpectations(d: DatasetFingerprint, expect: DatasetExpectation[]): string | null {
  for (const e of expect) {
    const got = d[e.field];
    if (JSON.stringify(got) === JSON.stringify(e.value)) continue;
    const show = (v: unknown) => (e.field === 'imageSize' ? (v as number[]).join('x') : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
    const what = { imageSize: 'image size', batchSize: 'batch size', classNames: 'classes', seed: 'seed', validationSplit: 'validation split', labelMode: 'label mode' }[e.field];
    return `loader ${what} ${show(got)} does not match ${e.from} ${show(e.value)}`;
  }
  return null;
}

interface Peer {
  key: string;
  identity: Buffer;
  loaderId: string;
  incarnation: string;
  window: number;
  /** sequence numbers assigned to this peer and not yet received from it */
  inflight: Set<number>;
  lastSeen: number;
  assignedAt: number;
  /** silent past the liveness window at this point of the receive stream: see tick() */
  suspect: { lastSeen: number; reads: number } | null;
}

export interface BrokerStats {
  received: number;
  duplicates: number;
  stale: number;
  /** batches for an (epoch, index) never assigned to the sender: rejected */
  unassigned: number;
  reassigned: number;
  deadLoaders: number;
  /** messages dropped unread because their peer was muted for flooding */
  muted: number;
  /** times a peer was muted */
  mutes: number;
  /** total milliseconds next() waited for a batch that had not arrived yet */
  waitMs: number;
}

/** BrokerOptions for the broker thread, plus the zeromq context its sockets (and ZAP handler) live in. */
export interface CoreOptions extends BrokerOptions {
  context?: Context;
}

/**
 * The trainer's side of the data channel. ZeroMQ Guide patterns:
 * - load balancing (ROUTER/DEALER, "Load Balancing Message Broker"): loaders are workers that
 *   announce themselves; work goes to the loader with the most free credit;
 * - credit-based flow control ("Transferring Files", chapter 7): each loader has at most `window`
 *   assignments outstanding, so a slow trainer makes loaders wait and their memory stays bounded;
 * - heartbeating ("Paranoid Pirate"): a loader silent for `liveness` beats is dead, and its
 *   outstanding work goes back to the queue;
 * - idempotent work: batches are deterministic per (epoch, index), so a reassigned batch is simply
 *   produced again; duplicates are dropped by (epoch, index), and a reorder buffer hands batches to
 *   the trainer in index order, so training is the same whatever the number of loaders.
 */
export class BrokerCore {
  readonly rejections: Rejections;
  readonly stats: BrokerStats = { received: 0, duplicates: 0, stale: 0, unassigned: 0, reassigned: 0, deadLoaders: 0, muted: 0, mutes: 0, waitMs: 0 };
  dataset: DatasetFingerprint | null = null;

  private readonly socket: Router;
  private readonly queue: SendQueue;
  private readonly peers = new Map<string, Peer>();
  private readonly heartbeatMs: number;
  private readonly liveness: number;
  private readonly maxAhead: number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private readonly guard: FloodGuard;
  private releaseCurve: (() => Promise<void>) | null = null;
  /** messages read from the socket so far */
  private reads = 0;
  private loop: Promise<void> | null = null;
  private datasetWaiters: Array<{ resolve: (d: DatasetFingerprint) => void; reject: (e: Error) => void }> = [];

  private plan: { startEpoch: number; epochs: number; numBatches: number; total: number } | null = null;
  private nextConsume = 0;
  private nextAssign = 0;
  private requeue: number[] = [];
  private readonly buffer = new Map<number, ReceivedBatch>();
  /**
   * seq -> routing ids it was ever assigned to, until it is consumed. Only these may deliver it
   * (a reassigned batch: the first valid copy wins); bounded by maxAhead.
   */
  private readonly assignees = new Map<number, Set<string>>();
  private waiter: { seq: number; resolve: (b: ReceivedBatch) => void; reject: (e: Error) => void } | null = null;
  private finished: string | null = null;
  private finishedStatus: 'completed' | 'failed' = 'completed';
  private closed = false;

  constructor(private readonly opts: CoreOptions) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.liveness = opts.liveness ?? DEFAULT_LIVENESS;
    this.maxAhead = opts.maxAhead ?? 16;
    this.log = opts.log ?? (() => undefined);
    this.rejections = new Rejections(this.log, 'message');
    const window = this.liveness * this.heartbeatMs;
    this.guard = new FloodGuard({ maxStrikes: opts.maxRejectsPerPeer ?? 50, windowMs: window, muteMs: 2 * window });
    this.socket = new Router({ linger: 0, maxMessageSize: opts.maxMessageSize, ...(opts.context && { context: opts.context }) });
    this.queue = new SendQueue(this.socket, (e) => this.log(`send failed: ${e.message}`));
  }

  get address(): string {
    return this.socket.lastEndpoint ?? this.opts.endpoint;
  }

  async start(): Promise<void> {
    if (this.opts.curve) this.releaseCurve = await applyCurveServer(this.socket, this.opts.curve);
    await bindWithRetry(this.socket, this.opts.endpoint);
    this.loop = this.receiveLoop();
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
  }

  /** Resolves with the dataset fingerprint of the first admitted loader. */
  waitForDataset(): Promise<DatasetFingerprint> {
    if (this.dataset) return Promise.resolve(this.dataset);
    return new Promise((resolve, reject) => this.datasetWaiters.push({ resolve, reject }));
  }

  /** Serve epochs [startEpoch, epochs) (0-based): assignments flow across epoch boundaries. */
  serve(startEpoch: number, epochs: number): void {
    if (!this.dataset) throw new ProtocolError('closed', 'serve() before any loader said HELLO');
    const numBatches = this.dataset.numBatches;
    this.plan = { startEpoch, epochs, numBatches, total: Math.max(0, epochs - startEpoch) * numBatches };
    this.nextConsume = 0;
    this.nextAssign = 0;
    this.requeue = [];
    this.buffer.clear();
    this.assignees.clear();
    for (const p of this.peers.values()) p.inflight.clear();
    this.pump();
  }

  /** The next batch in (epoch, index) order. */
  async next(): Promise<ReceivedBatch> {
    const plan = this.plan;
    if (!plan) throw new ProtocolError('closed', 'next() before serve()');
    if (this.closed) throw new ProtocolError('closed', 'broker is closed');
    const seq = this.nextConsume;
    if (seq >= plan.total) throw new ProtocolError('closed', 'every planned batch was consumed');
    let batch = this.buffer.get(seq);
    if (!batch) {
      const t0 = performance.now();
      batch = await new Promise<ReceivedBatch>((resolve, reject) => {
        this.waiter = { seq, resolve, reject };
      });
      this.stats.waitMs += performance.now() - t0;
    }
    this.buffer.delete(seq);
    this.assignees.delete(seq);
    this.nextConsume++;
    this.pump();
    return batch;
  }

  /** Loaders currently known, with their outstanding work. */
  loaders(): Array<{ loaderId: string; incarnation: string; window: number; inflight: number }> {
    return [...this.peers.values()].map((p) => ({ loaderId: p.loaderId, incarnation: p.incarnation, window: p.window, inflight: p.inflight.size }));
  }

  /** Tell every loader (and any that speaks later) that training is over. */
  async finish(reason: string, status: 'completed' | 'failed' = 'completed'): Promise<void> {
    this.finished = reason;
    this.finishedStatus = status;
    for (const p of this.peers.values()) this.sendDone(p.identity);
    await this.queue.drain();
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.queue.close();
    // zmq finishes closing in its I/O thread, after close() returns, so the port can stay in use
    // for a moment: start() retries for that. (Unbinding first is no cure: libzmq 4.3.5 can abort
    // on a pipe assertion when a ROUTER with connected peers is unbound.)
    this.socket.close();
    await this.releaseCurve?.();
    const err = new ProtocolError('closed', 'broker stopped');
    this.waiter?.reject(err);
    this.waiter = null;
    for (const w of this.datasetWaiters) w.reject(err);
    this.datasetWaiters = [];
    await this.loop?.catch(() => undefined);
  }

  // ---- internals ----

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) {
        if (!identity) continue;
        try {
          this.handle(identity, frames);
        } catch (e) {
          // A bug in handling must not kill the receive loop: log it and carry on.
          this.log(`error handling a message: ${(e as Error).stack ?? e}`);
        }
      }
    } catch (e) {
      if (!this.closed) this.log(`receive loop ended: ${(e as Error).message}`);
    }
  }

  private send(identity: Buffer, message: Parameters<typeof encodeControl>[0]): void {
    void this.queue.send([identity, ...encodeControl(message)]);
  }

  private sendDone(identity: Buffer): void {
    this.send(identity, { type: 'done', runId: this.opts.runId, reason: this.finished ?? 'done', status: this.finishedStatus });
  }

  private handle(identity: Buffer, frames: Buffer[]): void {
    const key = identity.toString('hex');
    const now = Date.now();
    this.reads++;
    if (!this.guard.admit(key, now)) {
      this.stats.muted = this.guard.muted;
      return;
    }
    const peer = this.peers.get(key);
    // Any message, even a malformed one, shows the peer is alive.
    if (peer) peer.lastSeen = now;
    const decoded = decodeLoaderMessage(frames);
    if (!decoded.ok) {
      this.rejections.note(decoded.reason, peer?.loaderId ?? `peer ${key.slice(0, 8)}`);
      if (!this.strike(key, peer)) this.send(identity, { type: 'malformed', reason: decoded.reason });
      return;
    }
    const msg = decoded.message;
    if (this.finished !== null) {
      this.sendDone(identity);
      return;
    }
    switch (msg.type) {
      case 'hello':
        this.hello(identity, key, msg);
        return;
      case 'heartbeat':
        // A loader we gave up on hears RESET on its next beat; a stranger beating fast is muted.
        if (!peer && !this.strike(key, peer)) this.send(identity, { type: 'reset', reason: 'unknown loader: say HELLO' });
        return;
      case 'bye':
        if (peer) this.drop(peer, `said bye (${msg.reason})`);
        return;
      case 'batch':
        this.batch(identity, peer, msg);
        return;
    }
  }

  private hello(identity: Buffer, key: string, msg: Hello): void {
    const refusal = checkExpectations(msg.dataset, this.opts.expect ?? []) ?? (this.dataset ? sameDataset(this.dataset, msg.dataset) : null);
    if (refusal) {
      this.log(`refused loader ${msg.loaderId}: ${refusal}`);
      this.send(identity, { type: 'reject', reason: refusal });
      return;
    }
    for (const p of [...this.peers.values()]) {
      if (p.key === key) this.drop(p, 'said HELLO again');
      else if (p.loaderId === msg.loaderId) this.drop(p, `restarted (incarnation ${msg.incarnation})`);
    }
    const now = Date.now();
    this.peers.set(key, {
      key, identity, loaderId: msg.loaderId, incarnation: msg.incarnation, window: msg.window,
      inflight: new Set(), lastSeen: now, assignedAt: 0, suspect: null,
    });
    this.send(identity, { type: 'welcome', runId: this.opts.runId, heartbeatMs: this.heartbeatMs, liveness: this.liveness });
    this.log(`loader ${msg.loaderId} joined (window ${msg.window}, ${msg.dataset.numBatches} batches/epoch)`);
    if (!this.dataset) {
      this.dataset = msg.dataset;
      for (const w of this.datasetWaiters) w.resolve(msg.dataset);
      this.datasetWaiters = [];
    }
    this.pump();
  }

  private batch(identity: Buffer, peer: Peer | undefined, msg: BatchMessage): void {
    const h = msg.header;
    const key = identity.toString('hex');
    const from = peer?.loaderId ?? `peer ${key.slice(0, 8)}`;
    if (!peer) this.send(identity, { type: 'reset', reason: 'unknown loader: say HELLO' });
    const plan = this.plan;
    const dataset = this.dataset;
    if (h.runId !== this.opts.runId || !plan || !dataset) {
      this.stats.stale++;
      return;
    }
    if (h.epoch < plan.startEpoch || h.epoch >= plan.epochs) {
      this.stats.stale++;
      return;
    }
    const seq = (h.epoch - plan.startEpoch) * plan.numBatches + h.index;
    if (seq < this.nextConsume) {
      // Already trained on: a late copy of a reassigned batch. Its sender gets its credit back.
      this.stats.duplicates++;
      if (peer?.inflight.delete(seq)) this.pump();
      return;
    }
    // Only a loader this batch was assigned to may deliver it (the one it is assigned to now, or
    // one it was taken from when it was reassigned: then the first valid copy wins).
    if (!this.assignees.get(seq)?.has(key)) {
      this.stats.unassigned++;
      this.rejections.note(`batch (${h.epoch}, ${h.index}) was not assigned to this loader`, from);
      this.strike(key, peer);
      return;
    }
    peer?.inflight.delete(seq);
    const mismatch = batchMismatch(dataset, msg);
    if (mismatch) {
      this.rejections.note(mismatch, from);
      // The credit is spent but the batch is still owed: someone must produce it again.
      if (!this.buffer.has(seq) && !this.requeue.includes(seq)) {
        this.requeue.push(seq);
        this.requeue.sort((a, b) => a - b);
      }
      this.pump();
      return;
    }
    this.stats.received++;
    if (this.buffer.has(seq)) {
      this.stats.duplicates++;
      this.pump();
      return;
    }
    const r = this.requeue.indexOf(seq);
    if (r >= 0) this.requeue.splice(r, 1);
    this.buffer.set(seq, {
      epoch: h.epoch, index: h.index, batchCount: h.batchCount, shape: h.shape, images: msg.images,
      labels: msg.labels, labelMode: h.labelMode, classNames: h.classNames, skipped: h.skipped, from,
    });
    if (this.waiter && this.waiter.seq === seq) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(this.buffer.get(seq) as ReceivedBatch);
    }
    this.pump();
  }

  /** Forget a peer and put its outstanding work back in the queue. */
  private drop(peer: Peer, why: string): void {
    this.peers.delete(peer.key);
    let n = 0;
    for (const seq of peer.inflight) {
      if (seq >= this.nextConsume && !this.buffer.has(seq) && !this.requeue.includes(seq)) {
        this.requeue.push(seq);
        n++;
      }
    }
    this.requeue.sort((a, b) => a - b);
    this.stats.reassigned += n;
    this.log(`loader ${peer.loaderId} ${why}; ${n} outstanding batch(es) back in the queue`);
    this.pump();
  }

  /** Hand out work while loaders have credit and the reorder window has room. */
  private pump(): void {
    const plan = this.plan;
    if (!plan || this.closed || this.finished !== null) return;
    for (;;) {
      const fromRequeue = this.requeue.length > 0;
      const seq = fromRequeue ? (this.requeue[0] as number) : this.nextAssign;
      if (seq >= plan.total || seq >= this.nextConsume + this.maxAhead) return;
      let best: Peer | null = null;
      for (const p of this.peers.values()) {
        if (p.inflight.size >= p.window) continue;
        if (!best || p.inflight.size < best.inflight.size || (p.inflight.size === best.inflight.size && p.assignedAt < best.assignedAt)) best = p;
      }
      if (!best) return;
      if (fromRequeue) this.requeue.shift();
      else this.nextAssign++;
      if (seq < this.nextConsume || this.buffer.has(seq)) continue;
      best.inflight.add(seq);
      const owners = this.assignees.get(seq) ?? new Set<string>();
      owners.add(best.key);
      this.assignees.set(seq, owners);
      best.assignedAt = performance.now();
      const epoch = plan.startEpoch + Math.floor(seq / plan.numBatches);
      this.send(best.identity, { type: 'assign', runId: this.opts.runId, epoch, index: seq % plan.numBatches });
    }
  }

  /** Count a rejected message against its peer; true when that got the peer muted (and dropped). */
  private strike(key: string, peer: Peer | undefined): boolean {
    if (!this.guard.strike(key, Date.now())) return false;
    this.stats.mutes = this.guard.mutes;
    this.log(`peer ${peer?.loaderId ?? key.slice(0, 8)} sent too many rejected messages: muted for ${(2 * this.liveness * this.heartbeatMs) / 1000}s`);
    if (peer) this.drop(peer, 'was muted for flooding');
    return true;
  }

  /**
   * Heartbeats out, and liveness in. Silence is judged on what has been read, never on what is
   * still waiting in the socket: a long training step (or a flood being worked through) leaves
   * the loaders' heartbeats queued, and the timer can fire before they are read. So a peer silent
   * past the window is only a suspect until either the socket is empty (nothing of it can be
   * waiting) or enough messages have been read since that the ROUTER's fair queueing has served
   * every peer that spoke lately at least twice.
   */
  private tick(): void {
    const now = Date.now();
    const window = this.liveness * this.heartbeatMs;
    for (const p of this.peers.values()) this.send(p.identity, { type: 'heartbeat' });
    const backlog = this.socket.readable;
    const turns = 2 * this.guard.activeSenders(now, window) + 2;
    for (const p of [...this.peers.values()]) {
      if (now - p.lastSeen <= window) {
        p.suspect = null;
        continue;
      }
      if (!p.suspect || p.suspect.lastSeen !== p.lastSeen) p.suspect = { lastSeen: p.lastSeen, reads: this.reads };
      if (backlog && this.reads - p.suspect.reads < turns) continue;
      this.stats.deadLoaders++;
      this.drop(p, `missed ${this.liveness} heartbeats`);
    }
    this.guard.prune(now, 4 * window);
  }
}

function sameDataset(a: DatasetFingerprint, b: DatasetFingerprint): string | null {
  for (const key of Object.keys(a) as Array<keyof DatasetFingerprint>) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      return `dataset ${key} ${JSON.stringify(b[key])} differs from the other loaders' ${JSON.stringify(a[key])}`;
    }
  }
  return null;
}

function batchMismatch(d: DatasetFingerprint, msg: BatchMessage): string | null {
  const h = msg.header;
  if (h.batchCount !== d.numBatches) return `batchCount ${h.batchCount} is not the dataset's ${d.numBatches}`;
  if (h.shape[1] !== d.imageSize[0] || h.shape[2] !== d.imageSize[1]) return `image size ${h.shape[1]}x${h.shape[2]} is not the dataset's ${d.imageSize.join('x')}`;
  if (h.shape[0] > d.batchSize) return `batch of ${h.shape[0]} exceeds batch size ${d.batchSize}`;
  if (h.labelMode !== d.labelMode) return `label mode ${h.labelMode} is not the dataset's ${d.labelMode}`;
  if (JSON.stringify(h.classNames) !== JSON.stringify(d.classNames)) return 'class names differ from the dataset\'s';
  return null;
}
