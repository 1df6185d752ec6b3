/**
 * Loading the WebAssembly SIMD kernels (src/*.wat, compiled into wasm-kernels.ts). Each kernel
 * has its own memory, grown on demand; where WebAssembly SIMD is unavailable the loader returns
 * null and callers use their (bit-identical) JS loops.
 */

/** The slice of the WebAssembly API used here (the ES2022 lib this package compiles against has none). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

export function instantiateKernel<T extends { memory: WasmMemory }>(base64: string): T | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    const bytes = Buffer.from(base64, 'base64');
    return wasm?.validate(bytes) ? (new wasm.Instance(new wasm.Module(bytes), {}).exports as T) : null;
  } catch {
    return null;
  }
}

/** Grows `memory` to hold at least `bytes`; returns a byte view of it. */
export function memoryOf(memory: WasmMemory, bytes: number): Uint8Array {
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  return new Uint8Array(memory.buffer);
}
