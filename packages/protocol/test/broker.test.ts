import { Dealer } from 'zeromq';
import {
  BatchBroker, BatchWorker, encodeBatch, encodeControl, EventPublisher, EventSubscriber, decodeTrainerMessage,
} from '../src';
import type { DatasetFingerprint, ProducedBatch, TrainerEvent } from '../src';

const dataset: DatasetFingerprint = {
  classNames: ['Cat', 'Dog'], size: 40, numBatches: 5, batchSize: 8, imageSize: [4, 4], seed: 7,
  validationSplit: 0.2, labelMode: 'binary', augment: 'none',
};

/** A deterministic fake batch: pixel 0 encodes (epoch, index) so the consumer can check order. */
function fake(epoch: number, index: number): ProducedBatch {
  const n = 8;
  const images = new Uint8Array(n * 4 * 4 * 3);
  images[0] = epoch;
  images[1] = index;
  return { images, shape: [n, 4, 4, 3], labels: new Float32Array(n).map((_, i) => i % 2) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (closers.length) await (closers.pop() as () => Promise<void> | void)();
});

async function startBroker(extra: Partial<ConstructorParameters<typeof BatchBroker>[0]> = {}): Promise<BatchBroker> {
  const b = new BatchBroker({ endpoint: 'tcp://127.0.0.1:*', runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100, liveness: 3, ...extra });
  await b.start();
  closers.push(() => b.stop());
  return b;
}

function startWorker(endpoint: string, loaderId: string, produce: WorkerArgs['produce'] = async (e, i) => fake(e, i), extra: Partial<WorkerArgs> = {}): BatchWorker {
  const w = new BatchWorker({ endpoint, loaderId, window: 2, dataset, produce, heartbeatMs: 100, ...extra });
  void w.start();
  closers.push(() => w.stop());
  return w;
}
type WorkerArgs = ConstructorParameters<typeof BatchWorker>[0];

async function consume(b: BatchBroker, n: number): Promise<Array<[number, number, string]>> {
  const out: Array<[number, number, string]> = [];
  for (let k = 0; k < n; k++) {
    const batch = await b.next();
    expect([batch.images[0], batch.images[1]]).toEqual([batch.epoch, batch.index]);
    out.push([batch.epoch, batch.index, batch.from]);
  }
  return out;
}

function expectedOrder(startEpoch: number, epochs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let e = startEpoch; e < epochs; e++) for (let i = 0; i < dataset.numBatches; i++) out.push([e, i]);
  return out;
}

test('two loaders share the work; the trainer sees every batch once, in order', async () => {
  const b = await startBroker();
  const slow = async (e: number, i: number) => { await sleep(5); return fake(e, i); };
  startWorker(b.address, 'a', slow);
  startWorker(b.address, 'b', slow);
  await b.waitForDataset();
  await sleep(100); // let the second loader say HELLO too
  b.serve(0, 2);
  const got = await consume(b, 10);
  expect(got.map(([e, i]) => [e, i])).toEqual(expectedOrder(0, 2));
  const producers = new Set(got.map(([, , f]) => f));
  expect(producers).toEqual(new Set(['a', 'b']));
  expect(b.stats.duplicates).toBe(0);
});

test('credit-based flow control: no more than the window in flight per loader, nothing beyond maxAhead', async () => {
  const b = await startBroker({ maxAhead: 4 });
  let running = 0;
  let maxRunning = 0;
  let produced = 0;
  startWorker(b.address, 'a', async (e, i) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(10);
    running--;
    produced++;
    return fake(e, i);
  }, { window: 3 });
  await b.waitForDataset();
  b.serve(0, 3);
  await sleep(400); // the trainer consumes nothing: the loader must stop at maxAhead
  expect(produced).toBe(4);
  expect(maxRunning).toBeLessThanOrEqual(3);
  await consume(b, 2);
  await sleep(200);
  expect(produced).toBe(6);
});

test('a dead loader\'s work is reassigned: nothing lost, nothing repeated', async () => {
  const b = await startBroker();
  // Loader "a" goes silent after producing two batches (as if killed: no BYE, no heartbeats).
  let aCount = 0;
  const stalled = new Promise<ProducedBatch>(() => undefined);
  const a = new BatchWorker({
    endpoint: b.address, loaderId: 'a', window: 2, dataset, heartbeatMs: 100,
    produce: async (e, i) => (++aCount > 2 ? stalled : fake(e, i)),
  });
  await a.start();
  await b.waitForDataset();
  b.serve(0, 2);
  await sleep(100);
  // Freeze "a": stop its heartbeats without saying bye.
  clearInterval((a as unknown as { timer: NodeJS.Timeout }).timer);
  closers.push(() => { (a as unknown as { socket: Dealer }).socket.close(); });
  startWorker(b.address, 'b');
  const got = await consume(b, 10);
  expect(got.map(([e, i]) => [e, i])).toEqual(expectedOrder(0, 2));
  expect(b.stats.deadLoaders).toBe(1);
  expect(b.stats.reassigned).toBeGreaterThan(0);
});

test('a restarted loader (same id, new incarnation) replaces the old one at once', async () => {
  const b = await startBroker({ liveness: 1000 }); // heartbeats alone would take minutes to notice
  const stalled = new Promise<ProducedBatch>(() => undefined);
  const first = new BatchWorker({ endpoint: b.address, loaderId: 'a', window: 2, dataset, heartbeatMs: 100, produce: async () => stalled });
  await first.start();
  closers.push(() => { (first as unknown as { socket: Dealer }).socket.close(); clearInterval((first as unknown as { timer: NodeJS.Timeout }).timer); });
  await b.waitForDataset();
  b.serve(0, 1);
  await sleep(100);
  startWorker(b.address, 'a');
  const got = await consume(b, 5);
  expect(got.map(([e, i]) => [e, i])).toEqual(expectedOrder(0, 1));
  expect(b.stats.reassigned).toBe(2);
  expect(b.loaders().map((l) => l.loaderId)).toEqual(['a']);
});

test('resume: a trainer serving from epoch 3 gets epoch 3 first', async () => {
  const b = await startBroker();
  startWorker(b.address, 'a');
  await b.waitForDataset();
  b.serve(3, 4);
  const got = await consume(b, 5);
  expect(got.map(([e, i]) => [e, i])).toEqual(expectedOrder(3, 4));
});

test('a loader with a different dataset is refused and told why', async () => {
  const b = await startBroker();
  startWorker(b.address, 'a');
  await b.waitForDataset();
  const w = startWorker(b.address, 'odd', undefined, { dataset: { ...dataset, imageSize: [8, 8] } });
  await expect(w.finished).rejects.toThrow(/imageSize \[8,8\] differs/);
});

test('garbage and malformed batches are counted, answered and never reach training', async () => {
  const b = await startBroker();
  startWorker(b.address, 'a');
  await b.waitForDataset();
  b.serve(0, 1);
  const rogue = new Dealer({ linger: 0 });
  closers.push(() => rogue.close());
  rogue.connect(b.address);
  const bad = encodeBatch({ runId: 'run-1', epoch: 0, index: 0, batchCount: 5, shape: [8, 4, 4, 3], labelMode: 'binary', classNames: ['Cat', 'Dog'], images: new Uint8Array(8 * 48).fill(99), labels: new Float32Array(8) });
  await rogue.send([Buffer.from([0xde, 0xad, 0xbe, 0xef])]);
  await rogue.send([bad[0] as Buffer, (bad[1] as Buffer).subarray(0, 10), bad[2] as Buffer]);
  const [reply] = await rogue.receive();
  expect(decodeTrainerMessage([reply as Buffer])).toEqual({ ok: true, message: expect.objectContaining({ type: 'malformed' }) });
  const got = await consume(b, 5); // consume() checks pixel 0/1: a 99-filled batch would fail it
  expect(got).toHaveLength(5);
  expect(b.rejections.total).toBe(2);
});

test('a trainer that restarts is greeted again: RESET, then HELLO, then work', async () => {
  const first = new BatchBroker({ endpoint: 'tcp://127.0.0.1:*', runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100 });
  await first.start();
  const address = first.address;
  const w = startWorker(address, 'a');
  await first.waitForDataset();
  await first.stop();
  const second = await startBroker({ endpoint: address });
  await second.waitForDataset();
  expect(w.stats.resets).toBeGreaterThanOrEqual(1);
  second.serve(1, 2);
  expect((await consume(second, 5)).map(([e, i]) => [e, i])).toEqual(expectedOrder(1, 2));
});

test('finish() tells loaders training is over', async () => {
  const b = await startBroker();
  const w = startWorker(b.address, 'a');
  await b.waitForDataset();
  await b.finish('all epochs trained');
  await expect(w.finished).resolves.toBe('all epochs trained');
});

test('a failed run tells loaders so: their finished promise rejects', async () => {
  const b = await startBroker();
  const w = startWorker(b.address, 'a');
  await b.waitForDataset();
  await b.finish('out of memory', 'failed');
  await expect(w.finished).rejects.toMatchObject({ code: 'trainer-failed' });
});

test('checkpoint events reach a subscriber; garbage events are counted', async () => {
  const pub = new EventPublisher('tcp://127.0.0.1:*');
  await pub.start();
  closers.push(() => pub.stop());
  const sub = new EventSubscriber(pub.address);
  sub.start();
  closers.push(() => sub.stop());
  await sleep(200); // PUB drops for subscribers still connecting (the late-joiner problem)
  const got: TrainerEvent[] = [];
  const reading = (async () => {
    for await (const ev of sub.events()) {
      got.push(ev);
      if (ev.type === 'done') return;
    }
  })();
  const raw = (pub as unknown as { socket: { send: (f: Buffer[]) => Promise<void> } }).socket;
  await raw.send([Buffer.from('pawpipe.checkpoint'), Buffer.from('not json')]);
  await pub.publish({ type: 'checkpoint', runId: 'r', epoch: 1, epochs: 2, dir: '/tmp/save_at_1', metrics: { loss: 0.6, accuracy: 0.7 } });
  await pub.publish({ type: 'done', runId: 'r', epochs: 2, status: 'completed', lastCheckpoint: '/tmp/save_at_2' });
  await reading;
  expect(got.map((e) => e.type)).toEqual(['checkpoint', 'done']);
  expect(sub.rejections.total).toBe(1);
});

test('control encoders carry the version', () => {
  expect(JSON.parse((encodeControl({ type: 'heartbeat' })[0] as Buffer).toString())).toEqual({ v: 1, type: 'heartbeat' });
});

test('a port held by another socket: start() retries briefly, then fails with bad-endpoint naming it', async () => {
  const holder = new BatchBroker({ endpoint: 'tcp://127.0.0.1:*', runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100 });
  await holder.start();
  closers.push(() => holder.stop());
  const second = new BatchBroker({ endpoint: holder.address, runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100 });
  const err = await second.start().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'bad-endpoint' });
  expect((err as Error).message).toBe(`cannot listen on ${holder.address}: Address already in use`);
  await second.stop();
});

test('a port freed while start() retries is taken', async () => {
  const holder = new BatchBroker({ endpoint: 'tcp://127.0.0.1:*', runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100 });
  await holder.start();
  const address = holder.address;
  const second = new BatchBroker({ endpoint: address, runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100 });
  closers.push(() => second.stop());
  const starting = second.start();
  await sleep(300);
  await holder.stop();
  await expect(starting).resolves.toBeUndefined();
  expect(second.address).toBe(address);
});

test('only what was assigned: batches for indices never assigned to the sender are rejected and counted', async () => {
  const b = await startBroker();
  // A greeted peer with a window of 1: it is assigned (0, 0) and nothing else.
  const rogue = new Dealer({ linger: 0 });
  closers.push(() => rogue.close());
  rogue.connect(b.address);
  await rogue.send(encodeControl({ type: 'hello', loaderId: 'rogue', incarnation: '1', window: 1, dataset }));
  await b.waitForDataset();
  b.serve(0, 1);
  const assigned: Array<[number, number]> = [];
  while (assigned.length === 0) {
    const d = decodeTrainerMessage(await rogue.receive());
    if (d.ok && d.message.type === 'assign') assigned.push([d.message.epoch, d.message.index]);
  }
  expect(assigned).toEqual([[0, 0]]);
  const marked = (index: number, mark: number) => {
    const f = fake(0, index);
    f.images[2] = mark;
    return encodeBatch({ runId: 'run-1', epoch: 0, index, batchCount: 5, shape: f.shape, labelMode: 'binary', classNames: ['Cat', 'Dog'], images: f.images, labels: f.labels });
  };
  for (const i of [1, 2, 3, 4]) await rogue.send(marked(i, 99));
  // A peer that never said HELLO is not assigned anything either.
  const stranger = new Dealer({ linger: 0 });
  closers.push(() => stranger.close());
  stranger.connect(b.address);
  await stranger.send(marked(1, 98));
  await rogue.send(marked(0, 77));
  startWorker(b.address, 'a');
  const got: Array<[number, number, string]> = [];
  for (let k = 0; k < 5; k++) {
    const batch = await b.next();
    got.push([batch.index, batch.images[2] as number, batch.from]);
  }
  expect(got).toEqual([[0, 77, 'rogue'], [1, 0, 'a'], [2, 0, 'a'], [3, 0, 'a'], [4, 0, 'a']]);
  expect(b.stats.unassigned).toBe(5);
  expect(b.rejections.total).toBe(5);
});

test('a reassigned batch: the first valid copy wins, from either of the loaders it was assigned to', async () => {
  const b = await startBroker();
  // "slow" is assigned (0, 0), then declared dead (no heartbeats); its late copy still counts if first.
  const slow = new Dealer({ linger: 0 });
  closers.push(() => slow.close());
  slow.connect(b.address);
  await slow.send(encodeControl({ type: 'hello', loaderId: 'slow', incarnation: '1', window: 1, dataset }));
  await b.waitForDataset();
  b.serve(0, 1);
  for (;;) {
    const d = decodeTrainerMessage(await slow.receive());
    if (d.ok && d.message.type === 'assign') break;
  }
  while (b.stats.deadLoaders === 0) await sleep(50);
  // Reassigned to "a", whose copy is held back until the old one arrived.
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  // Window 1: unless its late, duplicate copy of (0, 0) gives "a" its credit back, it gets no more work.
  startWorker(b.address, 'a', async (e, i) => { if (i === 0) await held; return fake(e, i); }, { window: 1 });
  await sleep(300);
  const f = fake(0, 0);
  f.images[2] = 55;
  await slow.send(encodeBatch({ runId: 'run-1', epoch: 0, index: 0, batchCount: 5, shape: f.shape, labelMode: 'binary', classNames: ['Cat', 'Dog'], images: f.images, labels: f.labels }));
  const first = await b.next();
  expect([first.index, first.images[2]]).toEqual([0, 55]);
  expect(first.from).toMatch(/^peer [0-9a-f]{8}$/); // no longer a known loader: it was declared dead
  release();
  const rest = await consume(b, 4);
  expect(rest.map(([, i]) => i)).toEqual([1, 2, 3, 4]);
  expect(b.stats.unassigned).toBe(0);
  expect(b.stats.duplicates).toBe(1);
});

