export {
  PROTOCOL_VERSION, DEFAULT_HOST, DEFAULT_DATA_PORT, DEFAULT_EVENTS_PORT, DEFAULT_CHECKPOINT_PORT, CHECKPOINT_CHUNK_BYTES, DEFAULT_HEARTBEAT_MS, DEFAULT_LIVENESS,
  EVENT_TOPIC_PREFIX, CHECKPOINT_TOPIC, DONE_TOPIC, MAX_HEADER_BYTES, CONTROL_MAX_MESSAGE_BYTES, LABEL_MODES,
  endpoint, batchMessageBudget,
} from './constants';
export type {
  LabelMode, DatasetFingerprint, Hello, Heartbeat, Bye, BatchHeader, BatchMessage, LoaderMessage, Welcome, Assign,
  Reject, Reset, Malformed, Done, TrainerMessage, EpochMetrics, CheckpointEvent, DoneEvent, TrainerEvent, Decoded,
} from './messages';
export { encodeBatch, encodeControl, encodeEvent } from './encode';
export type { BatchPayload } from './encode';
export { decodeLoaderMessage, decodeTrainerMessage, decodeEvent } from './decode';
export { Rejections } from './rejections';
export { SendQueue } from './send-queue';
export { ProtocolError } from './errors';
export type { ProtocolErrorCode } from './errors';
export { BatchBroker } from './broker';
export type { BrokerOptions, BrokerStats, ReceivedBatch, DatasetExpectation } from './broker';
export { checkExpectations } from './broker-core';
export { BatchWorker } from './worker';
export type { WorkerOptions, WorkerStats, ProducedBatch } from './worker';
export { EventPublisher, EventSubscriber } from './events';
export type {
  ListRequest, ManifestRequest, ChunkRequest, CheckpointRequest, Listing, ManifestFile, Manifest, ChunkHeader, Chunk,
  RefusalCode, Refused, CheckpointReply,
} from './checkpoint-messages';
export {
  encodeCheckpointRequest, encodeCheckpointReply, encodeChunk, decodeCheckpointRequest, decodeCheckpointReply,
} from './checkpoint-codec';
export { CheckpointServer } from './checkpoint-server';
export type { CheckpointServerOptions, CheckpointServerStats } from './checkpoint-server';
export { CheckpointClient } from './checkpoint-client';
export type { CheckpointClientOptions, FetchOptions, FetchResult } from './checkpoint-client';
export {
  newKeyPair, writeKeyPair, readKeyPair, readPublicKey, readServerKeys, readClientKeys, parseCertificate,
  applyCurveServer, applyCurveClient, isLoopback, PUBLIC_SUFFIX, SECRET_SUFFIX, AUTHORIZED_DIR,
} from './curve';
export type { CurveKeyPair, CurveServer, CurveClient } from './curve';
