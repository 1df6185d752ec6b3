export { fit } from './fit';
export type { FitOptions, EpochResult } from './fit';
export { compileForClasses, DEFAULT_LEARNING_RATE, DEFAULT_EPOCHS } from './compile';
export { batchToTensors } from './tensors';
export type { TrainingBatch } from './tensors';
export { KerasProgress, progressBar, formatMetric, formatEta, formatTimePerStep } from './progress';
export type { ProgressStream } from './progress';
export {
  saveCheckpoint, loadCheckpoint, listCheckpoints, latestCheckpoint, readMeta, staleTemporaries, checkpointName, fileDigests, META_JSON,
} from './checkpoint';
export type { CheckpointMeta, CheckpointFile, CheckpointEntry, LoadedCheckpoint, SaveOptions } from './checkpoint';
export { saveOptimizerState, loadOptimizerState } from './optimizer-state';
export type { OptimizerState } from './optimizer-state';
export { evaluate } from './evaluate';
export type { Evaluation } from './evaluate';
export { curvesSvg, confusionSvg, confusionText, svgToPng } from './charts';
export type { CurvePoint } from './charts';
export { appendLineSynced, readJsonl, writeFileSynced, fsyncDir, fsyncFile } from './fsync';
export { TrainerError } from './errors';
export type { TrainerErrorCode } from './errors';
export { withBatchNormMomentum } from './batch-norm';
export { auditRun, CONSUMED_JSONL } from './audit';
export type { AuditReport, AuditedEpoch, ConsumedLine } from './audit';
