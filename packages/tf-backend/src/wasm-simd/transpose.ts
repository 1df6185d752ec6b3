// Transposes on the wasm heap with the SIMD kernels of heap-kernels.wat, for the layout changes
// of the filter gradients. tfjs-backend-wasm 4.22's Transpose is a generic per-element loop
// (23.7 ms for [4,90,90,128] perm [3,0,1,2] here); after merging axes that move together, every
// perm the gradients use is one of three shapes, each a few streaming passes:
//   [A,B] -> [B,A]         4x4 register blocks (e.g. [N,H,W,C] perm [3,0,1,2] = [NHW,C] -> [C,NHW])
//   [A,B,C] -> [C,B,A]     the same, batched over B (perm [3,1,2,0] of [N,H,W,C])
//   [A,B,C] -> [A,C,B]     the same, batched over A
//   [A,B,C] -> [B,A,C]     whole runs of C elements moved (perm [1,2,0,3] of [N,H,W,C])
// Anything else, or 1-byte dtypes, goes to the backend's own Transpose.
import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmOps } from '../wasm-grad/wasm-ops';
import { heapKernels, heapOffset, type HeapOutputBackend as OutputBackend } from './heap-kernels';

/**
 * The same transpose on a smaller rank: size-1 axes dropped, and input axes that stay adjacent
 * and in order in the output merged into one (e.g. [4,90,90,128] perm [3,0,1,2] is [32400,128] perm [1,0]).
 */
export function reducePerm(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const p = perm.filter((a) => shape[a] !== 1).map((a) => kept.indexOf(a));
  const groups: number[][] = []; // runs of consecutive input axes, in output order
  for (const a of p) {
    const last = groups[groups.length - 1];
    if (last !== undefined && (last[last.length - 1] as number) + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const inInputOrder = [...groups].sort((g, h) => (g[0] as number) - (h[0] as number));
  return {
    shape: inInputOrder.map((g) => g.reduce((m, a) => m * (shape[kept[a] as number] as number), 1)),
    perm: groups.map((g) => inInputOrder.indexOf(g)),
  };
}

/** x transposed by perm with the SIMD kernels, or null where they do not apply (caller falls back). */
export function heapTranspose(backend: OutputBackend, x: TensorInfo, perm: readonly number[]): TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const k = heapKernels(backend);
  if (k === null) return null;
  const r = reducePerm(x.shape, perm);
  const key = r.perm.join(',');
  if (key !== '1,0' && key !== '2,1,0' && key !== '0,2,1' && key !== '1,0,2') return null;
  const out = backend.makeOutput(perm.map((a) => x.shape[a] as number), x.dtype);
  const src = heapOffset(backend, x);
  const dst = heapOffset(backend, out);
  const [a, b, c] = r.shape as [number, number, number];
  if (key === '1,0') k.transpose(src, dst, a, b, b, a, 1, 0, 0);
  else if (key === '2,1,0') k.transpose(src, dst, a, c, b * c, b * a, b, c, a);
  else if (key === '0,2,1') k.transpose(src, dst, b, c, c, b, a, b * c, b * c);
  else k.transpose_blocks(src, dst, a, b, c);
  return out;
}

/** Transpose through the SIMD kernels where they apply, else the wasm backend's own kernel. */
export function transpose(ops: WasmOps, x: TensorInfo, perm: number[]): TensorInfo {
  return heapTranspose(ops.backend as unknown as OutputBackend, x, perm) ?? ops.run('Transpose', { x }, { perm });
}

/**
 * x[:, r0::sr, c0::sc, :] (limited to outH x outW) of NHWC data, transposed to channel-major
 * [C, N, outH, outW] in one pass: per image, the transpose kernel batched over the output rows,
 * reading every sc-th pixel. Replaces a strided Slice (copies) plus a Transpose for the strided
 * 1x1 filter gradients. Null where the kernels are off or the grid leaves x (caller falls back).
 */
export function heapStridedChannelMajor(
  backend: OutputBackend, x: TensorInfo, r0: number, c0: number, outH: number, outW: number, sr: number, sc: number,
): TensorInfo | null {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (x.dtype !== 'float32' || r0 + (outH - 1) * sr >= h || c0 + (outW - 1) * sc >= w) return null;
  const k = heapKernels(backend);
  if (k === null) return null;
  const out = backend.makeOutput([c, n, outH, outW], 'float32');
  const src = heapOffset(backend, x);
  const dst = heapOffset(backend, out);
  for (let b = 0; b < n; b++) {
    // dst[c, b, r, q] = x[b, r0 + r*sr, c0 + q*sc, c]: rows q, columns c, batches r
    k.transpose(
      src + 4 * (((b * h + r0) * w + c0) * c), dst + 4 * b * outH * outW,
      outW, c, sc * c, n * outH * outW, outH, sr * w * c, outW);
  }
  return out;
}
