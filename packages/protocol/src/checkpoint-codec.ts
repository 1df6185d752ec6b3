import { createHash } from 'node:crypto';
import { PROTOCOL_VERSION } from './constants';
import { attempt, fail, frameCount, int, parseHeader, str } from './decode';
import type { Json } from './decode';
import { REFUSAL_CODES } from './checkpoint-messages';
import type {
  CheckpointReply, CheckpointRequest, Chunk, ChunkHeader, ManifestFile, RefusalCode,
} from './checkpoint-messages';
import type { Decoded } from './messages';

type WithoutV<T> = T extends unknown ? Omit<T, 'v'> : never;

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A checkpoint file name: one path component, no separators, not `.`/`..` (checked again on disk). */
export const SAFE_FILE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,255}$/;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A request is one frame: the JSON header. */
export function encodeCheckpointRequest(message: WithoutV<CheckpointRequest>): Buffer[] {
  return [json({ v: PROTOCOL_VERSION, ...message })];
}

/** Replies are one frame, except a chunk: [header, raw bytes]. */
export function encodeCheckpointReply(message: WithoutV<Exclude<CheckpointReply, Chunk>>): Buffer[] {
  return [json({ v: PROTOCOL_VERSION, ...message })];
}

export function encodeChunk(header: Omit<ChunkHeader, 'v' | 'type' | 'bytes' | 'sha256'>, data: Buffer): Buffer[] {
  const full: ChunkHeader = { v: PROTOCOL_VERSION, type: 'chunk', ...header, bytes: data.length, sha256: sha256Hex(data) };
  return [json(full), data];
}

function epochOf(h: Json): number {
  return int(h, 'epoch', 1);
}

/** Decode what an evaluator asks the trainer's checkpoint socket (frames after the ROUTER's identity). */
export function decodeCheckpointRequest(frames: Buffer[]): Decoded<CheckpointRequest> {
  return attempt((): CheckpointRequest => {
    if (frames.length === 0) fail('empty message');
    const h = parseHeader(frames[0]);
    frameCount(frames, 1, String(h.type));
    const v = PROTOCOL_VERSION;
    const req = str(h, 'req', 64);
    switch (h.type) {
      case 'list':
        return { v, type: 'list', req };
      case 'manifest':
        if (typeof h.optimizer !== 'boolean') fail('"optimizer" must be true or false');
        return { v, type: 'manifest', req, runId: str(h, 'runId'), epoch: epochOf(h), optimizer: h.optimizer };
      case 'chunk':
        // The file name is checked against the manifest by the server (refused, not malformed,
        // so the client hears why); here only its type and length.
        return {
          v, type: 'chunk', req, runId: str(h, 'runId'), epoch: epochOf(h), file: str(h, 'file', 4096),
          offset: int(h, 'offset', 0), length: int(h, 'length', 1),
        };
      default:
        return fail(`unknown message type ${JSON.stringify(h.type)} on the checkpoint channel`);
    }
  });
}

function manifestFiles(h: Json): ManifestFile[] {
  const files = h.files;
  if (!Array.isArray(files) || files.length === 0) fail('"files" must be a non-empty array');
  return files.map((f: unknown, i) => {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) fail(`files[${i}] must be an object`);
    const o = f as Json;
    const name = str(o, 'name', 255);
    if (!SAFE_FILE_NAME.test(name)) fail(`files[${i}].name ${JSON.stringify(name)} is not a plain file name`);
    const sha256 = str(o, 'sha256', 64);
    if (!SHA256_HEX.test(sha256)) fail(`files[${i}].sha256 must be 64 lowercase hex digits`);
    return { name, bytes: int(o, 'bytes', 0), sha256 };
  });
}

/** Decode what the trainer's checkpoint socket answers. */
export function decodeCheckpointReply(frames: Buffer[]): Decoded<CheckpointReply> {
  return attempt((): CheckpointReply => {
    if (frames.length === 0) fail('empty message');
    const h = parseHeader(frames[0]);
    const v = PROTOCOL_VERSION;
    const req = str(h, 'req', 64);
    if (h.type === 'chunk') {
      frameCount(frames, 2, 'chunk');
      const data = frames[1] as Buffer;
      const size = int(h, 'size', 0);
      const offset = int(h, 'offset', 0, size);
      const bytes = int(h, 'bytes', 0, size - offset);
      if (data.length !== bytes) fail(`chunk frame has ${data.length} bytes, the header says ${bytes}`);
      const sha256 = str(h, 'sha256', 64);
      if (!SHA256_HEX.test(sha256)) fail('"sha256" must be 64 lowercase hex digits');
      const header: ChunkHeader = { v, type: 'chunk', req, runId: str(h, 'runId'), epoch: epochOf(h), file: str(h, 'file', 255), offset, bytes, size, sha256 };
      return { v, type: 'chunk', header, data };
    }
    frameCount(frames, 1, String(h.type));
    switch (h.type) {
      case 'listing': {
        const epochs = h.epochs;
        if (!Array.isArray(epochs) || !epochs.every((e) => Number.isInteger(e) && e >= 1)) fail('"epochs" must be an array of integers >= 1');
        return { v, type: 'listing', req, runId: str(h, 'runId'), epochs: epochs as number[] };
      }
      case 'manifest':
        return { v, type: 'manifest', req, runId: str(h, 'runId'), epoch: epochOf(h), chunkBytes: int(h, 'chunkBytes', 1), files: manifestFiles(h) };
      case 'refused':
        if (!(REFUSAL_CODES as readonly unknown[]).includes(h.code)) fail(`"code" must be one of ${REFUSAL_CODES.join(', ')}`);
        return { v, type: 'refused', req, code: h.code as RefusalCode, reason: str(h, 'reason', 4096) };
      default:
        return fail(`unknown message type ${JSON.stringify(h.type)} from the checkpoint server`);
    }
  });
}
