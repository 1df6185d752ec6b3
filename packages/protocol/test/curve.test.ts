import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { curveKeyPair, Dealer } from 'zeromq';
import {
  BatchBroker, BatchWorker, EventPublisher, EventSubscriber, encodeControl, isLoopback, newKeyPair, readKeyPair,
  readPublicKey, readServerKeys, writeKeyPair,
} from '../src';
import type { CurveClient, CurveKeyPair, DatasetFingerprint, ProducedBatch, TrainerEvent } from '../src';
import { z85Decode, z85Encode } from '../src/z85';

// CURVE on real sockets: only a peer with the right keys can feed batches or read events.

const dataset: DatasetFingerprint = {
  classNames: ['Cat', 'Dog'], size: 40, numBatches: 5, batchSize: 8, imageSize: [4, 4], seed: 7,
  validationSplit: 0.2, labelMode: 'binary', augment: 'none',
};
const fake = (epoch: number, index: number): ProducedBatch => {
  const images = new Uint8Array(8 * 48);
  images[0] = epoch;
  images[1] = index;
  return { images, shape: [8, 4, 4, 3], labels: new Float32Array(8) };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
const closers: Array<() => Promise<void> | void> = [];
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-curve-')); });
afterEach(async () => {
  while (closers.length) await (closers.pop() as () => Promise<void> | void)();
  rmSync(dir, { recursive: true, force: true });
});

test('key files: ZeroMQ certificates, the secret owner-only, never overwritten, read back', async () => {
  const pair = newKeyPair();
  const { publicFile, secretFile } = await writeKeyPair(path.join(dir, 'trainer'), 'trainer', pair);
  expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  expect(readFileSync(publicFile, 'utf8')).toContain(`public-key = "${pair.publicKey}"`);
  expect(readFileSync(publicFile, 'utf8')).not.toContain(pair.secretKey);
  expect(await readKeyPair(path.join(dir, 'trainer'))).toEqual(pair);
  expect(await readPublicKey(publicFile)).toBe(pair.publicKey);
  await expect(writeKeyPair(path.join(dir, 'trainer'), 'trainer')).rejects.toThrow(`${publicFile} exists; it is left as it is`);
  expect(await readKeyPair(path.join(dir, 'trainer'))).toEqual(pair);
  writeFileSync(path.join(dir, 'bad.key'), 'curve\n    public-key = "not-a-key"\n');
  await expect(readPublicKey(path.join(dir, 'bad.key'))).rejects.toMatchObject({ code: 'bad-keys', message: expect.stringContaining('bad.key: public-key is not a 40-character Z85 key') });
  await expect(readKeyPair(path.join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'bad-keys' });
});

test('z85 matches libzmq\'s keys both ways', () => {
  for (let k = 0; k < 5; k++) {
    const { publicKey } = curveKeyPair();
    const bytes = z85Decode(publicKey) as Buffer;
    expect(bytes).toHaveLength(32);
    expect(z85Encode(bytes)).toBe(publicKey);
  }
  expect(z85Decode('abc')).toBeNull();
});

test('loopback addresses need no keys; others do', () => {
  expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].map(isLoopback)).toEqual([true, true, true, true, true]);
  expect(['0.0.0.0', '10.0.0.5', '::', 'example.org'].map(isLoopback)).toEqual([false, false, false, false]);
});

async function serverWithAuthorizedLoader(): Promise<{ server: CurveKeyPair; loader: CurveKeyPair; b: BatchBroker }> {
  const trainerDir = path.join(dir, 'trainer');
  await writeKeyPair(trainerDir, 'trainer');
  const loader = newKeyPair();
  mkdirSync(path.join(trainerDir, 'authorized'));
  await writeKeyPair(path.join(trainerDir, 'authorized'), 'loader-1', loader).then(() => rmSync(path.join(trainerDir, 'authorized', 'loader-1.key_secret')));
  const curve = await readServerKeys(trainerDir);
  expect(curve.authorized).toEqual([loader.publicKey]);
  const b = new BatchBroker({ endpoint: 'tcp://127.0.0.1:*', runId: 'run-1', maxMessageSize: 1 << 20, heartbeatMs: 100, liveness: 3, curve });
  await b.start();
  closers.push(() => b.stop());
  return { server: curve.keys, loader, b };
}

test('data channel: peers without the right keys cannot even say HELLO; the authorized loader trains', async () => {
  const { server, loader, b } = await serverWithAuthorizedLoader();
  const hello = encodeControl({ type: 'hello', loaderId: 'intruder', incarnation: '1', window: 4, dataset });
  const intruders: Array<[string, CurveClient | null]> = [
    ['plain TCP', null],
    ['the wrong server key', { serverKey: newKeyPair().publicKey, keys: loader }],
    ['the right server key but an unauthorized key pair', { serverKey: server.publicKey, keys: newKeyPair() }],
  ];
  for (const [, curve] of intruders) {
    const d = new Dealer({ linger: 0 });
    closers.push(() => d.close());
    if (curve) { d.curveServerKey = curve.serverKey; d.curvePublicKey = curve.keys.publicKey; d.curveSecretKey = curve.keys.secretKey; }
    d.connect(b.address);
    void d.send(hello).catch(() => undefined);
  }
  await sleep(1000);
  expect(b.dataset).toBeNull();
  expect(b.loaders()).toEqual([]);
  expect(b.rejections.total).toBe(0);

  const w = new BatchWorker({ endpoint: b.address, loaderId: 'good', window: 2, dataset, produce: async (e, i) => fake(e, i), heartbeatMs: 100, curve: { serverKey: server.publicKey, keys: loader } });
  await w.start();
  closers.push(() => w.stop());
  await b.waitForDataset();
  b.serve(0, 1);
  const got: string[] = [];
  for (let k = 0; k < 5; k++) {
    const batch = await b.next();
    got.push(`${batch.index}:${batch.from}`);
  }
  expect(got).toEqual(['0:good', '1:good', '2:good', '3:good', '4:good']);
  expect(b.loaders().map((l) => l.loaderId)).toEqual(['good']);
});

test('events: only a subscriber with the right keys reads them', async () => {
  const server = newKeyPair();
  const reader = newKeyPair();
  const pub = new EventPublisher('tcp://127.0.0.1:*', undefined, { keys: server, authorized: [reader.publicKey] });
  await pub.start();
  closers.push(() => pub.stop());
  const listen = (curve?: CurveClient) => {
    const sub = new EventSubscriber(pub.address, undefined, curve);
    sub.start();
    closers.push(() => sub.stop());
    const got: TrainerEvent[] = [];
    void (async () => { for await (const ev of sub.events()) got.push(ev); })();
    return got;
  };
  const good = listen({ serverKey: server.publicKey, keys: reader });
  const plain = listen();
  const wrongServer = listen({ serverKey: newKeyPair().publicKey, keys: reader });
  const unauthorized = listen({ serverKey: server.publicKey, keys: newKeyPair() });
  // PUB drops events for subscribers not yet joined: publish until the good one has several.
  for (let k = 0; k < 40 && good.length < 5; k++) {
    await pub.publish({ type: 'checkpoint', runId: 'r', epoch: k + 1, epochs: 50, dir: `/x/save_at_${k + 1}`, metrics: { loss: 1, accuracy: 0.5 } });
    await sleep(100);
  }
  expect(good.length).toBeGreaterThanOrEqual(5);
  expect([plain.length, wrongServer.length, unauthorized.length]).toEqual([0, 0, 0]);
});
