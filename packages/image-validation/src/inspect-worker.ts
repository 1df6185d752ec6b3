import { parentPort } from 'node:worker_threads';
import { inspect } from './inspect';
import type { InspectOptions } from './types';

/** A scan worker thread: inspects the files it is sent, one message back per file. */
parentPort!.on('message', (m: { id: number; file: string; opts: InspectOptions }) => {
  inspect(m.file, m.opts).then(
    (verdict) => parentPort!.postMessage({ id: m.id, verdict }),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
