import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Dealer } from 'zeromq';
import { CHECKPOINT_CHUNK_BYTES, MAX_HEADER_BYTES } from './constants';
import { decodeCheckpointReply, encodeCheckpointRequest, sha256Hex } from './checkpoint-codec';
import { META_FILE, completeEpochs } from './checkpoint-files';
import type { CheckpointReply, CheckpointRequest, Chunk, Listing, Manifest, ManifestFile } from './checkpoint-messages';
import { applyCurveClient } from './curve';
import type { CurveClient } from './curve';
import { ProtocolError } from './errors';

type WithoutV<T> = T extends unknown ? Omit<T, 'v' | 'req'> : never;

export interface CheckpointClientOptions {
  /** the trainer's checkpoint endpoint, e.g. tcp://trainer-host:5557 */
  endpoint: string;
  /** CURVE: the trainer's public key and ours (as for the event socket); unset: plain TCP */
  curve?: CurveClient;
  /** how long to wait for one reply before asking again (default 5000 ms) */
  timeoutMs?: number;
  /** tries per request before giving up (default 4) */
  tries?: number;
  /** tries per file whose sha256 does not match (default 3) */
  fileTries?: number;
  /** chunk size to ask for (default, and at most, CHECKPOINT_CHUNK_BYTES) */
  chunkBytes?: number;
  log?: (line: string) => void;
  /** progress hook: called after every chunk written */
  onChunk?: (file: string, offset: number, bytes: number, size: number) => void | Promise<void>;
}

export interface FetchOptions {
  /** also fetch the optimizer state (a resumed training needs it; scoring does not) */
  optimizer?: boolean;
}

export interface FetchResult {
  dir: string;
  /** false: the checkpoint was already complete in the destination (a shared disk), nothing moved */
  fetched: boolean;
  files: number;
  bytes: number;
  /** chunks and files asked again after a timeout, a damaged chunk or a sha256 mismatch */
  retries: number;
}

/**
 * The evaluator's side of the checkpoint channel (DEALER). Each request is retried on silence
 * with a fresh socket (ZeroMQ Guide, "Lazy Pirate": a DEALER's queue to a dead or restarted peer
 * cannot be trusted), each chunk is checked against the sha256 in its header, each file against
 * the sha256 meta.json names, and the checkpoint appears in the destination by one rename,
 * as the trainer writes it.
 */
export class CheckpointClient {
  private socket: Dealer | null = null;
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly fileTries: number;
  private readonly chunkBytes: number;
  private readonly log: (line: string) => void;
  private seq = 0;
  /** requests asked again, chunks and files fetched again: FetchResult.retries is its growth */
  private retried = 0;
  private readonly prefix = randomBytes(3).toString('hex');
  private closed = false;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: CheckpointClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.tries = opts.tries ?? 4;
    this.fileTries = opts.fileTries ?? 3;
    this.chunkBytes = Math.min(opts.chunkBytes ?? CHECKPOINT_CHUNK_BYTES, CHECKPOINT_CHUNK_BYTES);
    this.log = opts.log ?? (() => undefined);
  }

  get endpoint(): string {
    return this.opts.endpoint;
  }

  /** The one place this channel's socket is made: transport security (CURVE keys) goes here. */
  private newSocket(): Dealer {
    const s = new Dealer({ linger: 0, receiveTimeout: this.timeoutMs, sendTimeout: this.timeoutMs, maxMessageSize: CHECKPOINT_CHUNK_BYTES + MAX_HEADER_BYTES });
    if (this.opts.curve) applyCurveClient(s, this.opts.curve);
    s.connect(this.opts.endpoint);
    return s;
  }

  /**
   * The run the trainer serves and its complete checkpoints. One try: a caller that polls (the
   * evaluator) asks again at its next poll, and a trainer that is down costs one timeout, not four.
   */
  list(): Promise<Listing> {
    return this.serial(async () => {
      const r = await this.request({ type: 'list' }, 'the list of checkpoints', 1);
      return expectType(r, 'listing', this.opts.endpoint);
    });
  }

  /**
   * Make `destRoot/save_at_{epoch}` a verified copy of the trainer's. Nothing is fetched if it is
   * already complete there (the trainer writes to the same disk). A temporary folder left by an
   * interrupted fetch is removed first.
   */
  fetch(runId: string, epoch: number, destRoot: string, options: FetchOptions = {}): Promise<FetchResult> {
    return this.serial(() => this.fetchNow(runId, epoch, destRoot, options));
  }

  close(): void {
    this.closed = true;
    this.dropSocket();
  }

  // ---- internals ----

  /** One request at a time: zeromq allows one pending receive per socket. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private dropSocket(): void {
    if (this.socket && !this.socket.closed) this.socket.close();
    this.socket = null;
  }

  private async fetchNow(runId: string, epoch: number, destRoot: string, options: FetchOptions): Promise<FetchResult> {
    const name = `save_at_${epoch}`;
    const final = path.join(destRoot, name);
    const retriedBefore = this.retried;
    if ((await completeEpochs(destRoot)).includes(epoch)) return { dir: final, fetched: false, files: 0, bytes: 0, retries: 0 };
    await fs.mkdir(destRoot, { recursive: true });
    const stalePrefix = `.${name}.tmp-fetch-`;
    for (const n of await fs.readdir(destRoot)) {
      if (n.startsWith(stalePrefix)) await fs.rm(path.join(destRoot, n), { recursive: true, force: true });
    }
    const manifest = expectType(await this.request({ type: 'manifest', runId, epoch, optimizer: options.optimizer ?? false }, `the manifest of ${name}`), 'manifest', this.opts.endpoint);
    const metaEntry = manifest.files[0];
    if (!metaEntry || metaEntry.name !== META_FILE) throw new ProtocolError('transfer-failed', `${this.opts.endpoint} sent a manifest of ${name} that does not start with ${META_FILE}`);
    const tmp = path.join(destRoot, `${stalePrefix}${process.pid}-${randomBytes(3).toString('hex')}`);
    await fs.mkdir(tmp);
    const result: FetchResult = { dir: final, fetched: true, files: 0, bytes: 0, retries: 0 };
    try {
      await this.fetchFile(manifest, metaEntry, tmp, result);
      // The other files are checked against the sha256 that the (verified) meta.json names.
      const named = await namedDigests(path.join(tmp, META_FILE));
      for (const f of manifest.files.slice(1)) {
        const expected = named ? named[f.name] : f;
        if (!expected) throw new ProtocolError('transfer-failed', `${name}/${f.name} is in the manifest but not in its ${META_FILE}`);
        await this.fetchFile(manifest, { name: f.name, bytes: expected.bytes, sha256: expected.sha256 }, tmp, result);
      }
      await fsyncDir(tmp);
      result.retries = this.retried - retriedBefore;
      try {
        await fs.rename(tmp, final);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Completed meanwhile by someone else sharing the folder: theirs stays, ours goes.
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          await fs.rm(tmp, { recursive: true, force: true });
          return { ...result, fetched: false };
        }
        throw e;
      }
      await fsyncDir(destRoot);
      return result;
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** One file, chunk by chunk, into `dir`; retried whole when its sha256 is not the expected one. */
  private async fetchFile(manifest: Manifest, want: ManifestFile, dir: string, result: FetchResult): Promise<void> {
    const what = `save_at_${manifest.epoch}/${want.name}`;
    const chunkBytes = Math.min(this.chunkBytes, manifest.chunkBytes);
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.fileTries; attempt++) {
      const fh = await fs.open(path.join(dir, want.name), 'w');
      const hash = createHash('sha256');
      let offset = 0;
      try {
        while (offset < want.bytes) {
          const data = await this.chunk(manifest, want, offset, Math.min(chunkBytes, want.bytes - offset));
          await fh.write(data, 0, data.length, offset);
          hash.update(data);
          offset += data.length;
          await this.opts.onChunk?.(want.name, offset - data.length, data.length, want.bytes);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sha256 = hash.digest('hex');
      if (sha256 === want.sha256) {
        result.files++;
        result.bytes += want.bytes;
        return;
      }
      lastProblem = `sha256 ${sha256.slice(0, 12)}… is not the expected ${want.sha256.slice(0, 12)}…`;
      this.retried++;
      this.log(`${what}: ${lastProblem} (try ${attempt} of ${this.fileTries})`);
    }
    throw new ProtocolError('transfer-failed', `${what} from ${this.opts.endpoint}: ${lastProblem} after ${this.fileTries} tries`);
  }

  /** One verified chunk: a reply whose bytes do not match its header's sha256 is asked again. */
  private async chunk(manifest: Manifest, want: ManifestFile, offset: number, length: number): Promise<Buffer> {
    const what = `save_at_${manifest.epoch}/${want.name} at ${offset}`;
    for (let attempt = 1; ; attempt++) {
      const r = expectType(await this.request({ type: 'chunk', runId: manifest.runId, epoch: manifest.epoch, file: want.name, offset, length }, what), 'chunk', this.opts.endpoint) as Chunk;
      const h = r.header;
      let problem: string | null = null;
      if (h.file !== want.name || h.offset !== offset || h.epoch !== manifest.epoch) problem = `the reply is for ${h.file} at ${h.offset}`;
      else if (h.size !== want.bytes) problem = `the file has ${h.size} bytes, the manifest says ${want.bytes}`;
      else if (h.bytes === 0 || h.bytes > length) problem = `the reply has ${h.bytes} bytes, ${length} were asked`;
      else if (sha256Hex(r.data) !== h.sha256) problem = 'its bytes do not match the sha256 in its header';
      if (!problem) return r.data;
      this.retried++;
      if (attempt >= this.tries) throw new ProtocolError('transfer-failed', `${what} from ${this.opts.endpoint}: ${problem} (${attempt} tries)`);
      this.log(`${what}: ${problem}; asking again`);
    }
  }

  /** Send one request and wait for its reply; on silence, a fresh socket and another try. */
  private async request(body: WithoutV<CheckpointRequest>, what: string, tries = this.tries): Promise<CheckpointReply> {
    if (this.closed) throw new ProtocolError('closed', 'checkpoint client is closed');
    const req = `${this.prefix}-${++this.seq}`;
    const frames = encodeCheckpointRequest({ ...body, req } as Parameters<typeof encodeCheckpointRequest>[0]);
    for (let attempt = 1; attempt <= tries; attempt++) {
      this.socket ??= this.newSocket();
      const socket = this.socket;
      try {
        await socket.send(frames);
        const deadline = Date.now() + this.timeoutMs;
        for (;;) {
          const reply = await socket.receive();
          const decoded = decodeCheckpointReply(reply);
          if (!decoded.ok) {
            // A damaged reply counts as no reply: ask again.
            this.log(`${what}: unreadable reply from ${this.opts.endpoint} (${decoded.reason})`);
            throw Object.assign(new Error(decoded.reason), { code: 'EAGAIN' });
          }
          const m = decoded.message;
          const id = m.type === 'chunk' ? m.header.req : m.req;
          if (id === req) {
            if (m.type === 'refused') throw new ProtocolError('refused', `${this.opts.endpoint} refused ${what}: ${m.reason} (${m.code})`);
            return m;
          }
          // An answer to an earlier try: ignore it, keep waiting for ours.
          if (Date.now() > deadline) throw Object.assign(new Error('timeout'), { code: 'EAGAIN' });
        }
      } catch (e) {
        if (e instanceof ProtocolError) throw e;
        if (this.closed) throw new ProtocolError('closed', 'checkpoint client is closed', { cause: e });
        if ((e as { code?: string }).code !== 'EAGAIN') throw e;
        this.dropSocket();
        this.retried++;
        if (attempt < tries) this.log(`${what}: no answer from ${this.opts.endpoint} in ${this.timeoutMs} ms (try ${attempt} of ${tries}); asking again`);
      }
    }
    throw new ProtocolError('no-answer', `no answer from ${this.opts.endpoint} for ${what} in ${tries === 1 ? `${this.timeoutMs} ms` : `${tries} tries of ${this.timeoutMs} ms`}`);
  }
}

function expectType<T extends CheckpointReply['type']>(r: CheckpointReply, type: T, from: string): Extract<CheckpointReply, { type: T }> {
  if (r.type !== type) throw new ProtocolError('transfer-failed', `${from} answered ${r.type} where ${type} was expected`);
  return r as Extract<CheckpointReply, { type: T }>;
}

/** The sha256 per file that meta.json names, or null for a checkpoint written before it named them. */
async function namedDigests(metaPath: string): Promise<Record<string, { bytes: number; sha256: string }> | null> {
  let meta: { files?: Record<string, { bytes: number; sha256: string }> };
  try {
    meta = JSON.parse(await fs.readFile(metaPath, 'utf8')) as typeof meta;
  } catch (e) {
    throw new ProtocolError('transfer-failed', `${metaPath} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  return meta.files ?? null;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await fh.close();
  }
}
