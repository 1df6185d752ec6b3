import { CHECKPOINT_TOPIC, DONE_TOPIC, PROTOCOL_VERSION } from './constants';
import type {
  BatchHeader, CheckpointEvent, DoneEvent, LoaderMessage, TrainerEvent, TrainerMessage,
} from './messages';

type Control<T> = T extends { header: unknown } ? never : T;
type WithoutV<T> = T extends unknown ? Omit<T, 'v'> : never;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** A control message is a single frame: the JSON header. */
export function encodeControl(message: WithoutV<Control<LoaderMessage> | TrainerMessage>): Buffer[] {
  return [json({ v: PROTOCOL_VERSION, ...message })];
}

export interface BatchPayload {
  runId: string;
  epoch: number;
  index: number;
  batchCount: number;
  shape: [number, number, number, number];
  labelMode: BatchHeader['labelMode'];
  classNames: string[];
  images: Uint8Array;
  labels: Float32Array;
  skipped?: string[];
}

/**
 * A batch is three frames: [JSON header, pixels (raw uint8 NHWC), labels (raw float32 LE)].
 * The frames reference the caller's memory (zeromq sends buffers > 128 bytes without a copy):
 * do not modify `images`/`labels` after sending.
 */
export function encodeBatch(p: BatchPayload): Buffer[] {
  const [n] = p.shape;
  const labelsShape = p.labelMode === 'categorical' ? [n, p.classNames.length] : [n];
  const header: BatchHeader = {
    v: PROTOCOL_VERSION, type: 'batch', runId: p.runId, epoch: p.epoch, index: p.index,
    batchCount: p.batchCount, shape: p.shape, dtype: 'uint8', labelMode: p.labelMode,
    classNames: p.classNames, labelsDtype: 'float32', labelsShape, skipped: p.skipped ?? [],
  };
  const pixels = Buffer.from(p.images.buffer, p.images.byteOffset, p.images.byteLength);
  let labels: Buffer;
  if (littleEndianHost()) {
    labels = Buffer.from(p.labels.buffer, p.labels.byteOffset, p.labels.byteLength);
  } else {
    labels = Buffer.alloc(p.labels.length * 4);
    p.labels.forEach((x, i) => labels.writeFloatLE(x, i * 4));
  }
  return [json(header), pixels, labels];
}

/** Events are two frames: [topic, JSON] so SUB sockets can filter on the topic prefix. */
export function encodeEvent(event: WithoutV<TrainerEvent>): Buffer[] {
  const topic = event.type === 'checkpoint' ? CHECKPOINT_TOPIC : DONE_TOPIC;
  return [Buffer.from(topic), json({ v: PROTOCOL_VERSION, ...event } as CheckpointEvent | DoneEvent)];
}

let le: boolean | undefined;
export function littleEndianHost(): boolean {
  if (le === undefined) le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return le;
}
