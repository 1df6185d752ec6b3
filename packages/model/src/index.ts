export { makeModel, TUTORIAL_AUGMENTATION, BLOCK_SIZES } from './make-model';
export type { MakeModelConfig, AugmentationConfig } from './make-model';
export { RandomFlip, randomFlip } from './random-flip';
export type { RandomFlipArgs, FlipMode } from './random-flip';
export { RandomRotation, randomRotation, rotationMatrix } from './random-rotation';
export type { RandomRotationArgs, FillMode, Interpolation } from './random-rotation';
export { modelSummary, summaryRows } from './summary';
export type { SummaryRow } from './summary';
export { plotModel, modelGraphSvg } from './plot-model';
