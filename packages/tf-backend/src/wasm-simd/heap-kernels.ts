/**
 * Loads the WebAssembly SIMD kernels of heap-kernels.wat against a tfjs-backend-wasm backend's
 * own memory (imported, not copied), once per backend. The kernels then read and write tensors
 * where the backend keeps them, addressed by their heap byte offsets.
 *
 * Where the kernels cannot load (no WebAssembly SIMD, a memory this code does not recognise),
 * heapKernels() returns null and callers run their JS/wasm-kernel paths, which compute the same
 * bits; heapKernelStatus() says which one is in use and why.
 */
import { engine, getBackend, type DataId, type DataType, type TensorInfo } from '@tensorflow/tfjs';
import { HEAP_KERNELS_SHARED_WASM_BASE64, HEAP_KERNELS_WASM_BASE64 } from './heap-kernels-wasm';

/** The kernels' exports (see heap-kernels.wat for what each computes). Pointers are byte offsets. */
export interface HeapKernels {
  max_pool_grad(
    x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    sh: number, sw: number, fh: number, fw: number, padTop: number, padLeft: number): void;
  transpose(
    src: number, dst: number, rows: number, cols: number, srcRow: number, dstRow: number,
    batches: number, srcBatch: number, dstBatch: number): void;
  transpose_blocks(src: number, dst: number, rows: number, cols: number, block: number): void;
  dw_filter_grad(
    x: number, dy: number, dw: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    sh: number, sw: number, fh: number, fw: number, dh: number, dwid: number, padTop: number, padLeft: number): void;
  bn_train_forward(
    x: number, y: number, mean: number, variance: number, gamma: number, beta: number, scratch: number,
    p: number, c: number, eps: number): void;
  bn_train_backward(
    x: number, dy: number, dx: number, mean: number, variance: number, gamma: number, dgamma: number,
    dbeta: number, scratch: number, p: number, c: number, eps: number): void;
  conv_filter_grad(
    x: number, dy: number, dw: number, n: number, h: number, w: number, ci: number, oh: number, ow: number,
    co: number, sh: number, sw: number, fh: number, fw: number, padTop: number, padLeft: number, rowsPerChunk: number): void;
  relu_grad(x: number, dy: number, dx: number, count: number): void;
  bn_apply(
    x: number, y: number, mean: number, variance: number, scale: number, offset: number,
    hasScale: number, hasOffset: number, scratch: number, p: number, c: number, eps: number): void;
}

/** The memory object of the WebAssembly API (the ES2022 lib this package compiles against has none). */
interface WasmMemoryLike { readonly buffer: ArrayBufferLike }

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: object) => WasmMemoryLike;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/**
 * The parts of tfjs-backend-wasm 4.22's BackendWasm used here (backend_wasm.ts): the Emscripten
 * module (`wasm`) whose memory the single-threaded build exports as asm.memory and the threaded
 * build creates itself as wasmMemory (shared), and the map from a tensor's dataId to its heap offset.
 */
export interface HeapBackend {
  wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
}

interface Loaded { kernels: HeapKernels | null; status: string }

const loaded = new WeakMap<object, Loaded>();
let enabled = true;

/**
 * Turns the SIMD heap kernels off (false) or back on for every backend; for tests and the
 * benchmark, which compare both paths in one process.
 */
export function setHeapKernelsEnabled(on: boolean): void {
  enabled = on;
}

function load(backend: HeapBackend): Loaded {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return { kernels: null, status: 'js (no WebAssembly)' };
  const candidates = [backend.wasm?.asm?.memory, backend.wasm?.wasmMemory];
  const memory = candidates.find((m): m is WasmMemoryLike => m instanceof (api.Memory as unknown as typeof Object));
  if (memory === undefined) return { kernels: null, status: 'js (the wasm backend exposes no WebAssembly.Memory)' };
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = Buffer.from(shared ? HEAP_KERNELS_SHARED_WASM_BASE64 : HEAP_KERNELS_WASM_BASE64, 'base64');
  if (!api.validate(bytes)) return { kernels: null, status: 'js (this engine lacks WebAssembly SIMD)' };
  try {
    const instance = new api.Instance(new api.Module(bytes), { env: { memory } });
    return { kernels: instance.exports as HeapKernels, status: shared ? 'wasm-simd (shared memory)' : 'wasm-simd' };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { kernels: null, status: `js (instantiating against the backend's memory failed: ${why})` };
  }
}

function loadedFor(backend: HeapBackend): Loaded {
  let entry = loaded.get(backend);
  if (entry === undefined) {
    entry = load(backend);
    loaded.set(backend, entry);
  }
  return entry;
}

/** The kernels bound to this backend's memory, or null (disabled, or they cannot load here). */
export function heapKernels(backend: HeapBackend): HeapKernels | null {
  return enabled ? loadedFor(backend).kernels : null;
}

/** 'wasm-simd' or 'wasm-simd (shared memory)' when the kernels run, else 'js (why)'. */
export function heapKernelStatus(backend: HeapBackend): string {
  return enabled ? loadedFor(backend).status : 'js (disabled by setHeapKernelsEnabled)';
}

/** What a kernel that writes its result on the heap needs of the backend. */
export interface HeapOutputBackend extends HeapBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/**
 * The kernels for the active backend, or null: another backend than wasm, kernels off or not
 * loadable. For ops that choose between a heap kernel and tf ops before calling the engine.
 */
export function heapKernelsForActiveBackend(): HeapKernels | null {
  return getBackend() === 'wasm' ? heapKernels(engine().backend as unknown as HeapBackend) : null;
}

/** A tensor's byte offset in the backend's heap (fixed for its lifetime, heap growth included). */
export function heapOffset(backend: HeapBackend, info: TensorInfo): number {
  const entry = backend.dataIdMap.get(info.dataId);
  if (entry == null || entry.memoryOffset == null) throw new Error('tensor has no data on the wasm heap');
  return entry.memoryOffset;
}
