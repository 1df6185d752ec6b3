/**
 * The broker's own thread: it owns the trainer's ROUTER socket, its heartbeat timer and the
 * liveness clock, so a training step on the main thread (seconds of synchronous wasm) never delays
 * a heartbeat out, a heartbeat read, or the judgement of who is alive. Started by BatchBroker
 * (broker.ts); the messages between the two are ToThread and FromThread below.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Context } from 'zeromq';
import { BrokerCore } from './broker-core';
import type { BrokerStats, ReceivedBatch } from './broker-core';
import type { ThreadOptions, FromThread, ToThread, Snapshot } from './broker-messages';

if (!parentPort) throw new Error('broker-thread.js runs as a worker thread of BatchBroker');
const port = parentPort;
const post = (m: FromThread, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);

// Its own zeromq context: a CURVE server's ZAP handler (RFC 27) is one per context, and the main
// thread's (for its PUB and checkpoint sockets) must not be the one that admits loaders, or a
// handshake would wait for a training step to end.
const context = new Context();
const core = new BrokerCore({ ...(workerData as ThreadOptions), context, log: (line) => post({ type: 'log', line }) });

let lastSnapshot = '';
/** Stats, rejections and loaders for the main thread's synchronous getters, when they changed. */
function snapshot(): void {
  const s: Snapshot = {
    stats: { ...core.stats } as BrokerStats,
    rejections: { total: core.rejections.total, byReason: core.rejections.summary() },
    loaders: core.loaders(),
  };
  const text = JSON.stringify(s);
  if (text === lastSnapshot) return;
  lastSnapshot = text;
  post({ type: 'snapshot', snapshot: s });
}
const snapshots = setInterval(snapshot, 20);

let credit = 0;
let creditWaiter: (() => void) | null = null;
let generation = 0;

/** Hand the main thread batches in order, at most `credit` ahead of what it has consumed. */
async function deliver(gen: number, total: number): Promise<void> {
  for (let s = 0; s < total; s++) {
    while (credit <= 0) {
      await new Promise<void>((r) => { creditWaiter = r; });
      if (gen !== generation) return;
    }
    let b: ReceivedBatch;
    try {
      b = await core.next();
    } catch {
      return; // stopped
    }
    if (gen !== generation) return;
    credit--;
    // Copies into buffers of their own, moved (not copied again) to the main thread; the frames
    // zeromq received stay here.
    const images = new Uint8Array(b.images);
    const labels = new Float32Array(b.labels);
    snapshot();
    post({ type: 'batch', generation: gen, batch: { ...b, images, labels } }, [images.buffer as ArrayBuffer, labels.buffer as ArrayBuffer]);
  }
}

port.on('message', (m: ToThread) => {
  void handle(m).catch((e: Error) => post({ type: 'log', line: `broker thread: ${e.stack ?? e.message}` }));
});

async function handle(m: ToThread): Promise<void> {
  switch (m.type) {
    case 'serve':
      generation = m.generation;
      core.serve(m.startEpoch, m.epochs);
      credit = m.credit;
      creditWaiter?.();
      void deliver(m.generation, m.total);
      return;
    case 'take':
      credit++;
      creditWaiter?.();
      return;
    case 'refresh':
      lastSnapshot = '';
      snapshot();
      post({ type: 'ack', id: m.id });
      return;
    case 'finish':
      await core.finish(m.reason, m.status);
      snapshot();
      post({ type: 'ack', id: m.id });
      return;
    case 'stop':
      clearInterval(snapshots);
      generation = -1;
      creditWaiter?.();
      await core.stop();
      lastSnapshot = '';
      snapshot();
      post({ type: 'ack', id: m.id });
      port.close();
      return;
  }
}

core.start().then(
  () => {
    post({ type: 'started', address: core.address });
    core.waitForDataset().then((dataset) => {
      snapshot();
      post({ type: 'dataset', dataset });
    }, () => undefined);
  },
  (e: Error & { code?: string }) => {
    clearInterval(snapshots);
    post({ type: 'failed', message: e.message, ...(e.code !== undefined && { code: e.code }) });
    port.close();
  },
);
