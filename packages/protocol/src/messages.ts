import type { LABEL_MODES } from './constants';

export type LabelMode = (typeof LABEL_MODES)[number];

/** What a loader serves; every loader feeding one trainer must present the same fingerprint. */
export interface DatasetFingerprint {
  classNames: string[];
  /** images in the training subset */
  size: number;
  numBatches: number;
  batchSize: number;
  imageSize: [number, number];
  seed: number;
  validationSplit: number;
  labelMode: LabelMode;
  /** where augmentation runs and with what: 'loader:flip=horizontal,rotation=0.1', 'model', 'none' */
  augment: string;
}

// ---- loader -> trainer (DEALER -> ROUTER) ----
export interface Hello {
  v: number; type: 'hello';
  loaderId: string;
  /** changes every process start: a HELLO with a new incarnation replaces the old one */
  incarnation: string;
  /** credit: most assignments this loader wants outstanding (its prefetch window) */
  window: number;
  dataset: DatasetFingerprint;
}
export interface Heartbeat { v: number; type: 'heartbeat' }
export interface Bye { v: number; type: 'bye'; reason: string }
export interface BatchHeader {
  v: number; type: 'batch';
  runId: string;
  epoch: number;
  index: number;
  batchCount: number;
  /** [n, height, width, channels] of the pixel frame */
  shape: [number, number, number, number];
  dtype: 'uint8';
  labelMode: LabelMode;
  classNames: string[];
  labelsDtype: 'float32';
  /** [n] for int/binary, [n, classNames.length] for categorical */
  labelsShape: number[];
  /** files of this batch that could not be decoded and were left out */
  skipped: string[];
}
export type LoaderMessage = Hello | Heartbeat | Bye | BatchMessage;

/** A decoded batch: header plus pixels (uint8 NHWC) and labels (float32, aligned copy). */
export interface BatchMessage {
  v: number; type: 'batch';
  header: BatchHeader;
  images: Uint8Array;
  labels: Float32Array;
}

// ---- trainer -> loader (ROUTER -> DEALER) ----
export interface Welcome { v: number; type: 'welcome'; runId: string; heartbeatMs: number; liveness: number }
export interface Assign { v: number; type: 'assign'; runId: string; epoch: number; index: number }
/** HELLO refused for good (different dataset, wrong version): the loader exits */
export interface Reject { v: number; type: 'reject'; reason: string }
/** the trainer does not know this peer (it restarted, or declared the loader dead): say HELLO again */
export interface Reset { v: number; type: 'reset'; reason: string }
/** a message from this peer was malformed; informational */
export interface Malformed { v: number; type: 'malformed'; reason: string }
/** training is over (`status` 'failed': the trainer gave up): the loader exits */
export interface Done { v: number; type: 'done'; runId: string; reason: string; status: 'completed' | 'failed' }
export type TrainerMessage = Welcome | Assign | Reject | Reset | Malformed | Done | Heartbeat;

// ---- trainer PUB -> evaluator SUB: [topic, JSON] ----
export interface EpochMetrics { loss: number; accuracy: number; [name: string]: number }
export interface CheckpointEvent {
  v: number; type: 'checkpoint';
  runId: string;
  /** 1-based, as in the directory name save_at_{epoch} */
  epoch: number;
  epochs: number;
  dir: string;
  metrics: EpochMetrics;
}
export interface DoneEvent {
  v: number; type: 'done';
  runId: string;
  epochs: number;
  status: 'completed' | 'failed';
  lastCheckpoint: string | null;
}
export type TrainerEvent = CheckpointEvent | DoneEvent;

export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };
