export { generateDemoData, readDemoManifest, MANIFEST_NAME, MANIFEST_VERSION, DEFAULTS } from './generate';
export type { DemoOptions, DemoResult, DemoManifest } from './generate';
export { defaultDemoDir, ensureDemoData } from './demo-dir';
export type { PlantedFile, Training } from './planted';
export { DemoDataError } from './errors';
export type { DemoDataErrorCode } from './errors';
export { SHAPES } from './shapes';
export type { Shape } from './shapes';
