import type { BrokerOptions, BrokerStats, ReceivedBatch } from './broker-core';
import type { DatasetFingerprint } from './messages';

/** BrokerOptions as they cross to the broker thread: data only (the log is a message). */
export type ThreadOptions = Omit<BrokerOptions, 'log'>;

/** What the main thread reads synchronously (stats, loaders()), as of the thread's last change. */
export interface Snapshot {
  stats: BrokerStats;
  rejections: { total: number; byReason: Record<string, number> };
  loaders: Array<{ loaderId: string; incarnation: string; window: number; inflight: number }>;
}

/** Main thread -> broker thread. */
export type ToThread =
  | { type: 'serve'; generation: number; startEpoch: number; epochs: number; total: number; /** batches it may hand over before the first is consumed */ credit: number }
  /** one batch consumed: the thread may hand over one more */
  | { type: 'take' }
  | { type: 'refresh'; id: number }
  | { type: 'finish'; id: number; reason: string; status: 'completed' | 'failed' }
  | { type: 'stop'; id: number };

/** Broker thread -> main thread. */
export type FromThread =
  | { type: 'started'; address: string }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; line: string }
  | { type: 'dataset'; dataset: DatasetFingerprint }
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'batch'; generation: number; batch: ReceivedBatch }
  | { type: 'ack'; id: number };
