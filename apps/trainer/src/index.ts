export { TrainerApp, RUN_FILES, autoMicroBatch } from './trainer-app';
export type { TrainerConfig, TrainSummary } from './trainer-app';
