import {
  CHECKPOINT_TOPIC, DONE_TOPIC, LABEL_MODES, MAX_HEADER_BYTES, PROTOCOL_VERSION,
} from './constants';
import { littleEndianHost } from './encode';
import type {
  BatchHeader, BatchMessage, DatasetFingerprint, Decoded, LabelMode, LoaderMessage,
  TrainerEvent, TrainerMessage,
} from './messages';

/**
 * Validating decoders. They never throw: every malformed input comes back as
 * `{ ok: false, reason }` so a receive loop can count it and carry on.
 */

/** A decoder's verdict on malformed input; `attempt` turns it into `{ ok: false, reason }`. */
export class Invalid extends Error {}

export function fail(reason: string): never {
  throw new Invalid(reason);
}

export type Json = Record<string, unknown>;

export function parseHeader(frame: Buffer | undefined): Json {
  if (!frame) fail('missing header frame');
  if (frame.length === 0) fail('empty header frame');
  if (frame.length > MAX_HEADER_BYTES) fail(`header frame of ${frame.length} bytes exceeds ${MAX_HEADER_BYTES}`);
  const text = frame.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') !== frame.length) fail('header frame is not valid UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail('header frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('header is not a JSON object');
  const h = value as Json;
  if (h.v !== PROTOCOL_VERSION) fail(`protocol version ${JSON.stringify(h.v)} is not ${PROTOCOL_VERSION}`);
  if (typeof h.type !== 'string') fail('header has no string "type"');
  return h;
}

export function str(h: Json, key: string, maxLen = 1024): string {
  const x = h[key];
  if (typeof x !== 'string' || x.length === 0 || x.length > maxLen) fail(`"${key}" must be a non-empty string`);
  return x;
}

export function int(h: Json, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const x = h[key];
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    fail(`"${key}" must be an integer in [${min}, ${max}], got ${JSON.stringify(x)}`);
  }
  return x;
}

function num(h: Json, key: string): number {
  const x = h[key];
  if (typeof x !== 'number' || !Number.isFinite(x)) fail(`"${key}" must be a finite number`);
  return x;
}

function strings(h: Json, key: string, allowEmpty = false): string[] {
  const x = h[key];
  if (!Array.isArray(x) || (!allowEmpty && x.length === 0) || !x.every((s) => typeof s === 'string')) {
    fail(`"${key}" must be an array of strings`);
  }
  return x as string[];
}

function labelMode(h: Json): LabelMode {
  const x = h.labelMode;
  if (!(LABEL_MODES as readonly unknown[]).includes(x)) fail(`"labelMode" must be one of ${LABEL_MODES.join(', ')}`);
  return x as LabelMode;
}

export function frameCount(frames: Buffer[], expected: number, type: string): void {
  if (frames.length !== expected) fail(`${type} message has ${frames.length} frames, expected ${expected}`);
}

function fingerprint(h: Json): DatasetFingerprint {
  const d = h.dataset;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) fail('"dataset" must be an object');
  const o = d as Json;
  const imageSize = o.imageSize;
  if (!Array.isArray(imageSize) || imageSize.length !== 2 || !imageSize.every((x) => Number.isInteger(x) && x > 0)) {
    fail('"dataset.imageSize" must be [height, width] of positive integers');
  }
  return {
    classNames: strings(o, 'classNames'),
    size: int(o, 'size', 0),
    numBatches: int(o, 'numBatches', 1),
    batchSize: int(o, 'batchSize', 1),
    imageSize: [imageSize[0] as number, imageSize[1] as number],
    seed: int(o, 'seed', 0, 2 ** 32 - 1),
    validationSplit: num(o, 'validationSplit'),
    labelMode: labelMode(o),
    augment: str(o, 'augment'),
  };
}

function decodeBatchFrames(h: Json, frames: Buffer[]): BatchMessage {
  frameCount(frames, 3, 'batch');
  const batchCount = int(h, 'batchCount', 1);
  const header: BatchHeader = {
    v: PROTOCOL_VERSION, type: 'batch',
    runId: str(h, 'runId'),
    epoch: int(h, 'epoch', 0),
    index: int(h, 'index', 0, batchCount - 1),
    batchCount,
    shape: [0, 0, 0, 0],
    dtype: 'uint8',
    labelMode: labelMode(h),
    classNames: strings(h, 'classNames'),
    labelsDtype: 'float32',
    labelsShape: [],
    skipped: strings(h, 'skipped', true),
  };
  if (h.dtype !== 'uint8') fail(`"dtype" must be "uint8", got ${JSON.stringify(h.dtype)}`);
  if (h.labelsDtype !== 'float32') fail(`"labelsDtype" must be "float32", got ${JSON.stringify(h.labelsDtype)}`);
  const shape = h.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((x) => Number.isInteger(x) && x > 0)) {
    fail('"shape" must be [n, height, width, channels] of positive integers');
  }
  const [n, height, width, channels] = shape as number[] as [number, number, number, number];
  if (channels !== 3) fail(`"shape" has ${channels} channels, expected 3 (RGB)`);
  header.shape = [n, height, width, channels];
  const k = header.classNames.length;
  if (k < 2) fail('"classNames" must name at least 2 classes');
  const labelsShape = header.labelMode === 'categorical' ? [n, k] : [n];
  if (JSON.stringify(h.labelsShape) !== JSON.stringify(labelsShape)) {
    fail(`"labelsShape" ${JSON.stringify(h.labelsShape)} does not match ${JSON.stringify(labelsShape)} for ${header.labelMode} labels`);
  }
  header.labelsShape = labelsShape;
  if (header.labelMode === 'binary' && k !== 2) fail(`binary labels need 2 classes, header names ${k}`);

  const pixels = frames[1] as Buffer;
  const expectedPixels = n * height * width * channels;
  if (pixels.length !== expectedPixels) {
    fail(`pixel frame has ${pixels.length} bytes, shape ${JSON.stringify(header.shape)} needs ${expectedPixels}`);
  }
  const labelFrame = frames[2] as Buffer;
  const labelCount = labelsShape.reduce((a, b) => a * b, 1);
  if (labelFrame.length !== labelCount * 4) {
    fail(`labels frame has ${labelFrame.length} bytes, ${labelCount} float32 labels need ${labelCount * 4}`);
  }
  // Received buffers may sit at any byte offset: copy into a fresh (aligned) buffer before viewing as float32.
  const labels = new Float32Array(labelCount);
  if (littleEndianHost()) {
    new Uint8Array(labels.buffer).set(labelFrame);
  } else {
    for (let i = 0; i < labelCount; i++) labels[i] = labelFrame.readFloatLE(i * 4);
  }
  checkLabels(labels, header.labelMode, n, k);
  const images = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return { v: PROTOCOL_VERSION, type: 'batch', header, images, labels };
}

function checkLabels(labels: Float32Array, mode: LabelMode, n: number, k: number): void {
  if (mode === 'categorical') {
    for (let i = 0; i < n; i++) {
      let ones = 0;
      for (let j = 0; j < k; j++) {
        const x = labels[i * k + j];
        if (x === 1) ones++;
        else if (x !== 0) fail(`categorical label row ${i} is not one-hot`);
      }
      if (ones !== 1) fail(`categorical label row ${i} is not one-hot`);
    }
    return;
  }
  const max = mode === 'binary' ? 1 : k - 1;
  for (let i = 0; i < n; i++) {
    const x = labels[i] as number;
    if (!Number.isInteger(x) || x < 0 || x > max) fail(`label ${i} is ${x}, expected an integer in [0, ${max}]`);
  }
}

export function attempt<T>(fn: () => T): Decoded<T> {
  try {
    return { ok: true, message: fn() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    return { ok: false, reason: `undecodable message (${(e as Error).message})` };
  }
}

/** Decode what a loader sends to the trainer (frames after the ROUTER's identity frame). */
export function decodeLoaderMessage(frames: Buffer[]): Decoded<LoaderMessage> {
  return attempt((): LoaderMessage => {
    if (frames.length === 0) fail('empty message');
    const h = parseHeader(frames[0]);
    switch (h.type) {
      case 'batch':
        return decodeBatchFrames(h, frames);
      case 'hello':
        frameCount(frames, 1, 'hello');
        return {
          v: PROTOCOL_VERSION, type: 'hello', loaderId: str(h, 'loaderId', 255),
          incarnation: str(h, 'incarnation', 255), window: int(h, 'window', 1, 1024), dataset: fingerprint(h),
        };
      case 'heartbeat':
        frameCount(frames, 1, 'heartbeat');
        return { v: PROTOCOL_VERSION, type: 'heartbeat' };
      case 'bye':
        frameCount(frames, 1, 'bye');
        return { v: PROTOCOL_VERSION, type: 'bye', reason: typeof h.reason === 'string' ? h.reason : '' };
      default:
        return fail(`unknown message type ${JSON.stringify(h.type)} from a loader`);
    }
  });
}

/** Decode what the trainer sends to a loader. */
export function decodeTrainerMessage(frames: Buffer[]): Decoded<TrainerMessage> {
  return attempt((): TrainerMessage => {
    if (frames.length === 0) fail('empty message');
    const h = parseHeader(frames[0]);
    frameCount(frames, 1, String(h.type));
    const v = PROTOCOL_VERSION;
    switch (h.type) {
      case 'welcome':
        return { v, type: 'welcome', runId: str(h, 'runId'), heartbeatMs: int(h, 'heartbeatMs', 1), liveness: int(h, 'liveness', 1) };
      case 'assign':
        return { v, type: 'assign', runId: str(h, 'runId'), epoch: int(h, 'epoch', 0), index: int(h, 'index', 0) };
      case 'reject':
      case 'reset':
      case 'malformed':
        return { v, type: h.type, reason: str(h, 'reason', 4096) };
      case 'done':
        if (h.status !== 'completed' && h.status !== 'failed') fail('"status" must be "completed" or "failed"');
        return { v, type: 'done', runId: str(h, 'runId'), reason: typeof h.reason === 'string' ? h.reason : '', status: h.status };
      case 'heartbeat':
        return { v, type: 'heartbeat' };
      default:
        return fail(`unknown message type ${JSON.stringify(h.type)} from the trainer`);
    }
  });
}

/** Decode a PUB/SUB event: [topic, JSON]. */
export function decodeEvent(frames: Buffer[]): Decoded<TrainerEvent> {
  return attempt((): TrainerEvent => {
    frameCount(frames, 2, 'event');
    const topic = (frames[0] as Buffer).toString('utf8');
    const h = parseHeader(frames[1]);
    const v = PROTOCOL_VERSION;
    if (topic === CHECKPOINT_TOPIC && h.type === 'checkpoint') {
      const m = h.metrics;
      if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('"metrics" must be an object');
      const metrics = m as Json;
      for (const [key, value] of Object.entries(metrics)) {
        if (typeof value !== 'number') fail(`metric "${key}" is not a number`);
      }
      const epochs = int(h, 'epochs', 1);
      return {
        v, type: 'checkpoint', runId: str(h, 'runId'), epoch: int(h, 'epoch', 1, epochs), epochs,
        dir: str(h, 'dir', 4096), metrics: { loss: num(metrics, 'loss'), accuracy: num(metrics, 'accuracy'), ...(metrics as Record<string, number>) },
      };
    }
    if (topic === DONE_TOPIC && h.type === 'done') {
      if (h.status !== 'completed' && h.status !== 'failed') fail('"status" must be "completed" or "failed"');
      const last = h.lastCheckpoint;
      if (last !== null && typeof last !== 'string') fail('"lastCheckpoint" must be a string or null');
      return { v, type: 'done', runId: str(h, 'runId'), epochs: int(h, 'epochs', 1), status: h.status, lastCheckpoint: last };
    }
    return fail(`topic ${JSON.stringify(topic)} does not match type ${JSON.stringify(h.type)}`);
  });
}
