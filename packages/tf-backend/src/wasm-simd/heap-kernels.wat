;; WebAssembly SIMD kernels that work in place on tfjs-backend-wasm's own heap: the module
;; imports the backend's memory, and every pointer is a tensor's byte offset in it
;; (backend.dataIdMap.get(dataId).memoryOffset), so nothing is copied in or out.
;; All sizes and strides are in float32 elements unless a name ends in B (bytes).
;; The functions live in kernels/*.wat, one file per kernel family, each a list of funcs that
;; `pnpm gen:wasm` splices in at the marker below (in file-name order) before compiling the
;; module twice into heap-kernels-wasm.ts: as is, for the single-threaded build's plain memory,
;; and with the import declared `(memory 1 65536 shared)` for the threaded build's
;; SharedArrayBuffer memory. test/heap-kernels.test.ts checks the generated file is up to date.
(module
  (import "env" "memory" (memory 1))
  ;; @kernels
)
