export { tf } from './tf';
export { initBackend, wasmBinaryDir } from './init-backend';
export { MAX_WASM_THREADS } from './wasm-threads';
export type { BackendChoice, BackendSelection, InitBackendOptions, NativePackage } from './init-backend';
export { BackendError } from './errors';
export type { BackendErrorCode } from './errors';
export { saveModelToDir, loadModelFromDir, readModelArtifacts, MODEL_JSON, WEIGHTS_BIN } from './model-dir';
export type { SaveModelOptions } from './model-dir';
export { registerWasmGradientKernels, wasmGradientKernels } from './wasm-grad/register';
