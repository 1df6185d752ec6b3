// The checkpoint channel: an evaluator (DEALER) asks the trainer (ROUTER) for the checkpoints it
// lacks. Every request carries a `req` id that its reply repeats, so a client that retried can
// tell a late answer to an earlier try from the answer it is waiting for.

// ---- evaluator -> trainer (DEALER -> ROUTER), one JSON frame each ----
/** Which run the trainer serves and which of its checkpoints are complete. */
export interface ListRequest { v: number; type: 'list'; req: string }
/** The files of one checkpoint: model, weights and meta, plus the optimizer state if asked. */
export interface ManifestRequest { v: number; type: 'manifest'; req: string; runId: string; epoch: number; optimizer: boolean }
/** `length` bytes (at most the trainer's chunk size) of one file from `offset`. */
export interface ChunkRequest {
  v: number; type: 'chunk'; req: string;
  runId: string;
  epoch: number;
  /** a file name from the manifest: never a path */
  file: string;
  offset: number;
  length: number;
}
export type CheckpointRequest = ListRequest | ManifestRequest | ChunkRequest;

// ---- trainer -> evaluator (ROUTER -> DEALER) ----
export interface Listing { v: number; type: 'listing'; req: string; runId: string; epochs: number[] }
export interface ManifestFile {
  name: string;
  bytes: number;
  /** lowercase hex; for meta.json computed by the trainer, for the others the one meta.json names */
  sha256: string;
}
export interface Manifest {
  v: number; type: 'manifest'; req: string;
  runId: string;
  epoch: number;
  /** largest chunk the trainer sends */
  chunkBytes: number;
  /** meta.json first: it names the sha256 of every other file */
  files: ManifestFile[];
}
/** Two frames: this header, then exactly `bytes` raw bytes of `file` starting at `offset`. */
export interface ChunkHeader {
  v: number; type: 'chunk'; req: string;
  runId: string;
  epoch: number;
  file: string;
  offset: number;
  bytes: number;
  /** the whole file's size */
  size: number;
  /** sha256 of this chunk's bytes: a damaged chunk is asked again at once */
  sha256: string;
}
export interface Chunk { v: number; type: 'chunk'; header: ChunkHeader; data: Buffer }
export const REFUSAL_CODES = ['forbidden', 'not-found', 'other-run', 'malformed', 'unreadable'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];
/** The request cannot be served; asking again will not help. */
export interface Refused { v: number; type: 'refused'; req: string; code: RefusalCode; reason: string }
export type CheckpointReply = Listing | Manifest | Chunk | Refused;
