/** Wire protocol version: the `v` field of every header. Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Default endpoints: loopback only. Another interface needs an explicit flag in the apps. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_PORT = 5555;
export const DEFAULT_EVENTS_PORT = 5556;
export const DEFAULT_CHECKPOINT_PORT = 5557;

/** PUB/SUB topics (frame 0 of every event); subscribers filter on the common prefix. */
export const EVENT_TOPIC_PREFIX = 'pawpipe.';
export const CHECKPOINT_TOPIC = 'pawpipe.checkpoint';
export const DONE_TOPIC = 'pawpipe.done';

/** Largest JSON header we accept: headers are small; a bigger one is garbage or hostile. */
export const MAX_HEADER_BYTES = 256 * 1024;

/** Control messages never carry pixels; cap what a control-only socket will accept. */
export const CONTROL_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Heartbeating (ZeroMQ Guide, "Paranoid Pirate"): interval and missed beats before a peer is dead. */
export const DEFAULT_HEARTBEAT_MS = 1000;
export const DEFAULT_LIVENESS = 5;

export const LABEL_MODES = ['int', 'binary', 'categorical'] as const;

export function endpoint(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Largest batch message a trainer should accept: pixels + labels (up to `maxClasses` float32
 * per image for one-hot labels) + header. Used for ZeroMQ's maxMessageSize.
 */
export function batchMessageBudget(batchSize: number, imageSize: [number, number], channels = 3, maxClasses = 1000): number {
  return batchSize * imageSize[0] * imageSize[1] * channels + batchSize * maxClasses * 4 + MAX_HEADER_BYTES;
}

/**
 * Checkpoint transfer: the most file bytes in one chunk reply (a client may ask for less). Bounds
 * the memory of both ends and what a client must accept (plus one header) as maxMessageSize.
 */
export const CHECKPOINT_CHUNK_BYTES = 256 * 1024;
