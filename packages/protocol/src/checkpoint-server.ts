import { Router } from 'zeromq';
import { CHECKPOINT_CHUNK_BYTES, CONTROL_MAX_MESSAGE_BYTES } from './constants';
import { decodeCheckpointRequest, encodeCheckpointReply, encodeChunk } from './checkpoint-codec';
import { Refusal, completeEpochs, readCheckpoint, readChunk } from './checkpoint-files';
import type { ServedCheckpoint } from './checkpoint-files';
import type { CheckpointRequest, ChunkRequest } from './checkpoint-messages';
import { applyCurveServer } from './curve';
import type { CurveServer } from './curve';
import { bindWithRetry } from './bind';
import { Rejections } from './rejections';
import { SendQueue } from './send-queue';

export interface CheckpointServerOptions {
  /** ZeroMQ endpoint to bind, e.g. tcp://127.0.0.1:5557 */
  endpoint: string;
  /** CURVE: encrypt, and serve only clients with the right keys (the data and event sockets' keys); unset: plain TCP */
  curve?: CurveServer;
  /** the run's checkpoints folder: nothing outside it is ever served */
  checkpointsDir: string;
  runId: string;
  /** largest chunk sent (default CHECKPOINT_CHUNK_BYTES) */
  chunkBytes?: number;
  log?: (line: string) => void;
  /** fault injection for tests: change (or drop, with null) the bytes of a chunk reply */
  faultChunk?: (request: ChunkRequest, data: Buffer) => Buffer | null;
}

export interface CheckpointServerStats { requests: number; chunks: number; bytes: number; refused: number }

/**
 * The trainer's side of the checkpoint channel (ROUTER). Stateless request/reply, as the ZeroMQ
 * Guide's "Transferring Files" (chapter 7) advises: the client asks for each chunk by file and
 * offset, so a lost reply or a restarted trainer costs one chunk, never the transfer, and memory
 * stays bounded by one chunk per request in flight.
 */
export class CheckpointServer {
  readonly rejections: Rejections;
  readonly stats: CheckpointServerStats = { requests: 0, chunks: 0, bytes: 0, refused: 0 };
  /** Date.now() of the last manifest or chunk request (0: none yet) */
  lastTransferAt = 0;

  private readonly socket: Router;
  private readonly queue: SendQueue;
  private readonly chunkBytes: number;
  private readonly log: (line: string) => void;
  /** checkpoint folders never change once renamed into place: their manifests are computed once */
  private readonly served = new Map<number, Promise<ServedCheckpoint>>();
  private loop: Promise<void> | null = null;
  private closed = false;
  private releaseCurve: (() => Promise<void>) | undefined;

  constructor(private readonly opts: CheckpointServerOptions) {
    this.chunkBytes = opts.chunkBytes ?? CHECKPOINT_CHUNK_BYTES;
    this.log = opts.log ?? (() => undefined);
    this.rejections = new Rejections(this.log, 'checkpoint request');
    this.socket = this.newSocket();
    this.queue = new SendQueue(this.socket, (e) => this.log(`checkpoint reply failed: ${e.message}`));
  }

  /** The one place this channel's socket is made: transport security (CURVE keys) goes here. */
  private newSocket(): Router {
    return new Router({ linger: 0, maxMessageSize: CONTROL_MAX_MESSAGE_BYTES });
  }

  get address(): string {
    return this.socket.lastEndpoint ?? this.opts.endpoint;
  }

  async start(): Promise<void> {
    if (this.opts.curve) this.releaseCurve = await applyCurveServer(this.socket, this.opts.curve);
    await bindWithRetry(this.socket, this.opts.endpoint);
    this.loop = this.receiveLoop();
  }

  /**
   * Resolves once no manifest or chunk was asked for during `quietMs`, or after `maxMs`: a trainer
   * that has finished waits here so an evaluator in the middle of a transfer gets its last files.
   * Returns true if it had to wait.
   */
  async whenIdle(quietMs: number, maxMs: number): Promise<boolean> {
    const t0 = Date.now();
    let waited = false;
    while (!this.closed && Date.now() - this.lastTransferAt < quietMs && Date.now() - t0 < maxMs) {
      waited = true;
      await new Promise((r) => setTimeout(r, Math.min(200, quietMs)));
    }
    return waited;
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    this.socket.close();
    await this.loop?.catch(() => undefined);
    await this.releaseCurve?.();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) {
        if (!identity) continue;
        try {
          // One request at a time: replies are small and disk reads short; a client that wants
          // more throughput pipelines requests, which queue here in order.
          await this.handle(identity, frames);
        } catch (e) {
          this.log(`error serving a checkpoint request: ${(e as Error).stack ?? e}`);
        }
      }
    } catch (e) {
      if (!this.closed) this.log(`checkpoint receive loop ended: ${(e as Error).message}`);
    }
  }

  private async handle(identity: Buffer, frames: Buffer[]): Promise<void> {
    this.stats.requests++;
    const decoded = decodeCheckpointRequest(frames);
    if (!decoded.ok) {
      this.rejections.note(decoded.reason, `peer ${identity.toString('hex').slice(0, 8)}`);
      this.refuse(identity, reqOf(frames), 'malformed', decoded.reason);
      return;
    }
    const msg = decoded.message;
    try {
      await this.serve(identity, msg);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.refuse(identity, msg.req, e.code, e.message);
    }
  }

  private async serve(identity: Buffer, msg: CheckpointRequest): Promise<void> {
    const runId = this.opts.runId;
    if (msg.type === 'list') {
      const epochs = await completeEpochs(this.opts.checkpointsDir);
      void this.queue.send([identity, ...encodeCheckpointReply({ type: 'listing', req: msg.req, runId, epochs })]);
      return;
    }
    this.lastTransferAt = Date.now();
    if (msg.runId !== runId) throw new Refusal('other-run', `this trainer serves run ${runId}, not ${msg.runId}`);
    const ck = await this.checkpoint(msg.epoch);
    if (msg.type === 'manifest') {
      const files = ck.files.filter((f) => f.part !== 'optimizer' || msg.optimizer).map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 }));
      void this.queue.send([identity, ...encodeCheckpointReply({ type: 'manifest', req: msg.req, runId, epoch: msg.epoch, chunkBytes: this.chunkBytes, files })]);
      return;
    }
    // Only a file of the manifest is ever opened, by the path the manifest resolved: a name
    // with a separator, '..', or anything else not listed is refused.
    const file = ck.files.find((f) => f.name === msg.file);
    if (!file) throw new Refusal('forbidden', `${JSON.stringify(msg.file)} is not a file of save_at_${msg.epoch}; only the files of its manifest are served`);
    const { data, size } = await readChunk(file.path, msg.offset, Math.min(msg.length, this.chunkBytes));
    const sent = this.opts.faultChunk ? this.opts.faultChunk(msg, data) : data;
    if (sent === null) return;
    this.stats.chunks++;
    this.stats.bytes += sent.length;
    // The chunk's sha256 is of the bytes read (a fault that alters them is caught by it).
    const frames = encodeChunk({ req: msg.req, runId, epoch: msg.epoch, file: file.name, offset: msg.offset, size }, data);
    if (sent !== data) frames[1] = sent;
    void this.queue.send([identity, ...frames]);
  }

  private checkpoint(epoch: number): Promise<ServedCheckpoint> {
    let p = this.served.get(epoch);
    if (!p) {
      p = readCheckpoint(this.opts.checkpointsDir, epoch, this.opts.runId);
      this.served.set(epoch, p);
      // A checkpoint that does not exist yet may exist later: do not remember failures.
      p.catch(() => this.served.delete(epoch));
    }
    return p;
  }

  private refuse(identity: Buffer, req: string, code: Refusal['code'], reason: string): void {
    this.stats.refused++;
    void this.queue.send([identity, ...encodeCheckpointReply({ type: 'refused', req, code, reason })]);
  }
}

/** The `req` of a request the decoder refused, if it has a usable one, so the client hears why. */
function reqOf(frames: Buffer[]): string {
  try {
    const req = (JSON.parse((frames[0] ?? Buffer.alloc(0)).toString('utf8')) as { req?: unknown }).req;
    if (typeof req === 'string' && req.length > 0 && req.length <= 64) return req;
  } catch {
    // not JSON: no id to answer to
  }
  return '-';
}
