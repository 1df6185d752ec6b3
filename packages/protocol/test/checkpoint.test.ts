import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Dealer } from 'zeromq';
import {
  CheckpointClient, CheckpointServer, decodeCheckpointReply, encodeCheckpointRequest, encodeChunk, ProtocolError,
} from '../src';
import type { CheckpointReply, CheckpointServerOptions } from '../src';

// Real files, real sockets on fresh loopback ports: a trainer-side run folder (A) served by a
// CheckpointServer, fetched into an evaluator-side folder (B) by a CheckpointClient.

const RUN = 'run-a';
const WEIGHTS = 'group1-shard1of1.bin';
let root: string;
let served: string; // A/checkpoints
let dest: string; // B/checkpoints
const closers: Array<() => Promise<void> | void> = [];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A checkpoint laid out as the trainer writes it: meta.json names the other files' sha256. */
function writeCheckpoint(dir: string, epoch: number, opts: { runId?: string; withDigests?: boolean; weightBytes?: number } = {}): void {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Buffer> = {
    'model.json': Buffer.from(JSON.stringify({ modelTopology: { epoch }, weightsManifest: [{ paths: [WEIGHTS] }] })),
    [WEIGHTS]: randomBytes(opts.weightBytes ?? 300_000),
    'optimizer.json': Buffer.from('{"weights":[]}'),
    'optimizer.bin': randomBytes(50_000),
  };
  const digests: Record<string, { bytes: number; sha256: string; part: string }> = {};
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), data);
    digests[name] = { bytes: data.length, sha256: sha(data), part: name.startsWith('optimizer.') ? 'optimizer' : 'model' };
  }
  const meta = { format: 'pawpipe-checkpoint', runId: opts.runId ?? RUN, epoch, ...(opts.withDigests === false ? {} : { files: digests }) };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pawpipe-ckpt-'));
  served = path.join(root, 'A', 'checkpoints');
  dest = path.join(root, 'B', 'checkpoints');
  writeCheckpoint(path.join(served, 'save_at_1'), 1);
  writeCheckpoint(path.join(served, 'save_at_2'), 2);
  writeFileSync(path.join(root, 'A', 'history.jsonl'), 'secret of the run folder\n');
});
afterEach(async () => {
  while (closers.length) await (closers.pop() as () => Promise<void> | void)();
  rmSync(root, { recursive: true, force: true });
});

async function startServer(extra: Partial<CheckpointServerOptions> = {}): Promise<CheckpointServer> {
  const s = new CheckpointServer({ endpoint: 'tcp://127.0.0.1:*', checkpointsDir: served, runId: RUN, chunkBytes: 64 * 1024, ...extra });
  await s.start();
  closers.push(() => s.stop());
  return s;
}

function client(endpoint: string, extra: Partial<ConstructorParameters<typeof CheckpointClient>[0]> = {}): CheckpointClient {
  const c = new CheckpointClient({ endpoint, timeoutMs: 1000, ...extra });
  closers.push(() => c.close());
  return c;
}

function expectSameFiles(a: string, b: string, names: string[]): void {
  expect(readdirSync(b).sort()).toEqual([...names].sort());
  for (const n of names) expect(readFileSync(path.join(b, n)).equals(readFileSync(path.join(a, n)))).toBe(true);
}

const MODEL_FILES = ['meta.json', 'model.json', WEIGHTS];

test('lists the run, fetches model, weights and meta in bounded chunks (optimizer only if asked), atomically, once', async () => {
  const server = await startServer();
  const c = client(server.address);
  expect(await c.list()).toMatchObject({ type: 'listing', runId: RUN, epochs: [1, 2] });

  const r1 = await c.fetch(RUN, 1, dest);
  expect(r1).toMatchObject({ dir: path.join(dest, 'save_at_1'), fetched: true, files: 3, retries: 0 });
  expectSameFiles(path.join(served, 'save_at_1'), r1.dir, MODEL_FILES);
  // 300 000 bytes of weights in chunks of at most 64 KiB: 5 chunks, plus one each for meta and model.
  expect(server.stats.chunks).toBe(7);

  const r2 = await c.fetch(RUN, 2, dest, { optimizer: true });
  expectSameFiles(path.join(served, 'save_at_2'), r2.dir, [...MODEL_FILES, 'optimizer.json', 'optimizer.bin']);
  expect(readdirSync(dest).sort()).toEqual(['save_at_1', 'save_at_2']); // no temporaries left

  // Already complete in the destination: nothing is asked for again.
  const before = server.stats.requests;
  expect(await c.fetch(RUN, 1, dest)).toMatchObject({ fetched: false, files: 0 });
  expect(server.stats.requests).toBe(before);
});

test('a trainer sharing the evaluator\'s folder (same disk): nothing is fetched', async () => {
  const server = await startServer();
  const r = await client(server.address).fetch(RUN, 2, served);
  expect(r).toMatchObject({ dir: path.join(served, 'save_at_2'), fetched: false });
  expect(server.stats.requests).toBe(0);
});

test('a checkpoint written before meta.json named digests is served with digests computed by the trainer', async () => {
  writeCheckpoint(path.join(served, 'save_at_3'), 3, { withDigests: false });
  const server = await startServer();
  const r = await client(server.address).fetch(RUN, 3, dest);
  expectSameFiles(path.join(served, 'save_at_3'), r.dir, MODEL_FILES);
});

test('a transfer cut off mid-file (the trainer goes away and comes back) is detected and retried', async () => {
  const first = await startServer();
  const address = first.address;
  const logs: string[] = [];
  let cut = false;
  let second: CheckpointServer | null = null;
  const servedAfter = new Set<string>();
  const c = client(address, {
    timeoutMs: 300,
    log: (l) => logs.push(l),
    onChunk: async (file, offset) => {
      if (file !== WEIGHTS || offset !== 64 * 1024 || cut) return;
      // After the second chunk of the weights: the server dies; it is back 500 ms later.
      cut = true;
      await first.stop();
      setTimeout(() => {
        second = new CheckpointServer({
          endpoint: address, checkpointsDir: served, runId: RUN, chunkBytes: 64 * 1024, faultChunk: (req, data) => { servedAfter.add(`${req.file}@${req.offset}`); return data; },
        });
        void second.start();
        closers.push(() => second?.stop());
      }, 500);
    },
  });
  const r = await c.fetch(RUN, 1, dest);
  expect(cut).toBe(true);
  expect(r.retries).toBeGreaterThanOrEqual(1);
  expect(logs.join('\n')).toMatch(new RegExp(`save_at_1/${WEIGHTS} at ${128 * 1024}: no answer from tcp://127\\.0\\.0\\.1:\\d+ in 300 ms \\(try 1 of 4\\); asking again`));
  expectSameFiles(path.join(served, 'save_at_1'), r.dir, MODEL_FILES);
  // The restarted server served the rest (the weights, then model.json): the transfer went on from the chunk that was lost.
  expect([...servedAfter].sort()).toEqual([...[131072, 196608, 262144].map((o) => `${WEIGHTS}@${o}`), 'model.json@0']);
});

test('a damaged or truncated chunk is asked again; a file that never matches its meta sha256 fails in one clear line', async () => {
  let damaged = 0;
  const server = await startServer({
    faultChunk: (req, data) => {
      if (req.file !== WEIGHTS || damaged >= 2) return data;
      damaged++;
      // first a flipped byte (caught by the chunk's sha256), then a short frame (caught by the decoder)
      return damaged === 1 ? Buffer.concat([Buffer.from([data[0] as number ^ 0xff]), data.subarray(1)]) : data.subarray(0, 100);
    },
  });
  const logs: string[] = [];
  const r = await client(server.address, { timeoutMs: 300, log: (l) => logs.push(l) }).fetch(RUN, 1, dest);
  expect(damaged).toBe(2);
  expect(r.retries).toBe(2);
  expect(logs.join('\n')).toMatch(/do not match the sha256 in its header; asking again/);
  expect(logs.join('\n')).toMatch(/unreadable reply .*chunk frame has 100 bytes, the header says 65536/);
  expectSameFiles(path.join(served, 'save_at_1'), r.dir, MODEL_FILES);

  // The weights on the trainer's disk no longer match what its meta.json says: never accepted.
  writeFileSync(path.join(served, 'save_at_2', WEIGHTS), randomBytes(300_000));
  const err = await client(server.address, { fileTries: 2 }).fetch(RUN, 2, dest).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe('transfer-failed');
  expect((err as Error).message).toMatch(new RegExp(`^save_at_2/${WEIGHTS} from tcp://127\\.0\\.0\\.1:\\d+: sha256 [0-9a-f]{12}… is not the expected [0-9a-f]{12}… after 2 tries$`));
  expect(readdirSync(dest).sort()).toEqual(['save_at_1']); // no half checkpoint, no temporary
});

test('a request for anything outside the checkpoint folder is refused', async () => {
  mkdirSync(path.join(root, 'A', 'elsewhere'));
  writeCheckpoint(path.join(root, 'A', 'elsewhere'), 3);
  symlinkSync(path.join(root, 'A', 'elsewhere'), path.join(served, 'save_at_3'));
  writeCheckpoint(path.join(served, 'save_at_4'), 4, { withDigests: false });
  symlinkSync(path.join(root, 'A', 'history.jsonl'), path.join(served, 'save_at_4', 'link.bin'));
  const server = await startServer();
  const dealer = new Dealer({ linger: 0, receiveTimeout: 2000 });
  closers.push(() => dealer.close());
  dealer.connect(server.address);
  let n = 0;
  const ask = async (body: Record<string, unknown>): Promise<CheckpointReply> => {
    const req = `t${++n}`;
    await dealer.send(encodeCheckpointRequest({ req, runId: RUN, epoch: 1, ...body } as Parameters<typeof encodeCheckpointRequest>[0]));
    const d = decodeCheckpointReply(await dealer.receive());
    if (!d.ok) throw new Error(d.reason);
    expect(d.message.type === 'chunk' ? d.message.header.req : d.message.req).toBe(req);
    return d.message;
  };
  const chunk = (file: string, epoch = 1) => ask({ type: 'chunk', file, epoch, offset: 0, length: 100 });
  for (const file of ['../../history.jsonl', '../save_at_2/model.json', path.join(root, 'A', 'history.jsonl'), '/etc/passwd', '.', 'optimizer.bin/../../x']) {
    expect(await chunk(file)).toMatchObject({ type: 'refused', code: 'forbidden', reason: expect.stringContaining('only the files of its manifest are served') });
  }
  // a symbolic link inside a checkpoint, and a checkpoint folder that is a link to elsewhere
  expect(await chunk('link.bin', 4)).toMatchObject({ type: 'refused', code: 'forbidden' });
  expect(await ask({ type: 'manifest', epoch: 3, optimizer: false })).toMatchObject({ type: 'refused', code: 'forbidden', reason: 'save_at_3 lies outside the checkpoints folder' });
  expect(await ask({ type: 'manifest', epoch: 9, optimizer: false })).toMatchObject({ type: 'refused', code: 'not-found' });
  expect(await ask({ type: 'manifest', runId: 'run-b', optimizer: false })).toMatchObject({ type: 'refused', code: 'other-run' });
  expect(await ask({ type: 'chunk', file: 'model.json', offset: -1, length: 10 })).toMatchObject({ type: 'refused', code: 'malformed' });
  expect(await ask({ type: 'manifest', epoch: 0, optimizer: false })).toMatchObject({ type: 'refused', code: 'malformed' });
  // what is in the manifest is served
  expect(await chunk('model.json')).toMatchObject({ type: 'chunk', header: { file: 'model.json', offset: 0 } });
  expect(server.stats.chunks).toBe(1);
  expect(server.stats.refused).toBe(12);

  const err = await client(server.address).fetch(RUN, 3, dest).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'refused', message: expect.stringMatching(/refused the manifest of save_at_3: save_at_3 lies outside the checkpoints folder \(forbidden\)$/) });
});

test('a fetch interrupted earlier (a killed evaluator) leaves a temporary that the next fetch replaces', async () => {
  const stale = path.join(dest, '.save_at_2.tmp-fetch-999-abcdef');
  mkdirSync(stale, { recursive: true });
  writeFileSync(path.join(stale, WEIGHTS), 'half a file');
  const server = await startServer();
  const r = await client(server.address).fetch(RUN, 2, dest);
  expectSameFiles(path.join(served, 'save_at_2'), r.dir, MODEL_FILES);
  expect(existsSync(stale)).toBe(false);
});

test('a trainer that does not answer: one clear line, after one try for a listing and four for a fetch', async () => {
  const server = await startServer();
  const address = server.address;
  await server.stop();
  const logs: string[] = [];
  const c = client(address, { timeoutMs: 200, log: (l) => logs.push(l) });
  await expect(c.list()).rejects.toMatchObject({ code: 'no-answer', message: `no answer from ${address} for the list of checkpoints in 200 ms` });
  expect(logs).toEqual([]);
  await expect(c.fetch(RUN, 1, dest)).rejects.toMatchObject({ code: 'no-answer', message: `no answer from ${address} for the manifest of save_at_1 in 4 tries of 200 ms` });
  expect(logs).toHaveLength(3);
  expect(existsSync(dest) ? readdirSync(dest) : []).toEqual([]);
});

test('whenIdle waits while transfers go on, not when nobody fetches', async () => {
  const server = await startServer();
  expect(await server.whenIdle(300, 5000)).toBe(false);
  await client(server.address).fetch(RUN, 1, dest);
  const t0 = Date.now();
  expect(await server.whenIdle(300, 5000)).toBe(true);
  expect(Date.now() - server.lastTransferAt).toBeGreaterThanOrEqual(300);
  expect(Date.now() - t0).toBeLessThan(5000);
});

test('chunk replies are checked against their header', () => {
  const frames = encodeChunk({ req: 'r1', runId: RUN, epoch: 1, file: WEIGHTS, offset: 10, size: 20 }, Buffer.alloc(10, 7));
  expect(decodeCheckpointReply(frames)).toMatchObject({ ok: true, message: { type: 'chunk', header: { bytes: 10, size: 20 } } });
  expect(decodeCheckpointReply([frames[0] as Buffer, Buffer.alloc(9)])).toEqual({ ok: false, reason: 'chunk frame has 9 bytes, the header says 10' });
  const past = encodeChunk({ req: 'r1', runId: RUN, epoch: 1, file: WEIGHTS, offset: 15, size: 20 }, Buffer.alloc(10));
  expect(decodeCheckpointReply(past)).toMatchObject({ ok: false, reason: expect.stringMatching(/"bytes" must be an integer in \[0, 5\]/) });
});
