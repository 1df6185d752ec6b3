export { TrainerApp, RUN_FILES } from './trainer-app';
export type { TrainerConfig, TrainSummary } from './trainer-app';
