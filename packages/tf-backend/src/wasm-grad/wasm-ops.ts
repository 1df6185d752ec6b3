// Calls the wasm backend's own kernels directly, at the TensorInfo level, the way
// tfjs backends compose kernels (e.g. tfjs-backend-wasm/src/kernels/BatchMatMul.ts
// calls reshape()). Nothing goes through the engine, so nothing is taped or tracked,
// and every intermediate must be released with free().
import { getKernel, type DataId, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

export interface WasmBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
}

export class WasmOps {
  constructor(readonly backend: WasmBackendLike) {}

  run(kernelName: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: object = {}): TensorInfo {
    const kernel = getKernel(kernelName, 'wasm');
    if (kernel == null) throw new Error(`wasm kernel '${kernelName}' is not registered`);
    const out = kernel.kernelFunc({ inputs: inputs as never, attrs: attrs as NamedAttrMap, backend: this.backend as never });
    return (Array.isArray(out) ? out[0] : out) as TensorInfo;
  }

  free(...infos: TensorInfo[]): void {
    for (const info of infos) this.backend.disposeData(info.dataId);
  }

  /** Concat takes its inputs as an array (tfjs-backend-wasm/src/kernels/Concat.ts). */
  concat(xs: TensorInfo[], axis: number): TensorInfo {
    return xs.length === 1 ? this.share(xs[0] as TensorInfo) : this.run('Concat', xs, { axis });
  }

  /** Another reference to x's data, freed like any result: no copy (wasm's Identity copies). */
  share(x: TensorInfo): TensorInfo {
    this.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Pads with zeros; negative amounts crop instead (PadV2 only grows). */
  padOrCrop(x: TensorInfo, amounts: Array<[number, number]>): TensorInfo {
    const needsCrop = amounts.some(([a, b]) => a < 0 || b < 0);
    const needsPad = amounts.some(([a, b]) => a > 0 || b > 0);
    let cur = x;
    let owned = false;
    if (needsCrop) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = amounts.map(([a, b], i) => (x.shape[i] as number) - Math.max(0, -a) - Math.max(0, -b));
      cur = this.run('Slice', { x }, { begin, size });
      owned = true;
    }
    if (needsPad) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      const padded = this.run('PadV2', { x: cur }, { paddings, constantValue: 0 });
      if (owned) this.free(cur);
      cur = padded;
      owned = true;
    }
    return owned ? cur : this.share(x);
  }

  /**
   * x[:, r0::sr, c0::sc, :] limited to outH x outW rows/cols (NHWC). Strided cases avoid wasm's
   * StridedSlice (a generic per-element loop, ~60 ms for 2M floats here): crop/pad to exactly
   * outH*sr x outW*sc from (r0, c0), view it as [N*outH, sr, outW, sr*C] and take a rank-4 Slice
   * of the first row and column of every sr x sc cell.
   */
  spatialSlice(x: TensorInfo, r0: number, c0: number, outH: number, outW: number, sr: number, sc: number): TensorInfo {
    const [n, h, w, ch] = x.shape as [number, number, number, number];
    if (r0 === 0 && c0 === 0 && outH === h && outW === w) return this.share(x);
    if (sr === 1 && sc === 1) {
      // As [N, H, W*C] each output row is one contiguous run of outW*C floats: wasm's Slice
      // (JS, one TypedArray.set per innermost row) then copies long rows instead of pixels.
      const rows = this.reshape(x, [n, h, w * ch]);
      const cut = this.run('Slice', { x: rows }, { begin: [0, r0, c0 * ch], size: [n, outH, outW * ch] });
      this.free(rows);
      const out = this.reshape(cut, [n, outH, outW, ch]);
      this.free(cut);
      return out;
    }
    const cells = this.padOrCrop(x, [[0, 0], [-r0, outH * sr - (h - r0)], [-c0, outW * sc - (w - c0)], [0, 0]]);
    const view = this.reshape(cells, [n * outH, sr, outW, sc * ch]);
    this.free(cells);
    const picked = this.run('Slice', { x: view }, { begin: [0, 0, 0, 0], size: [n * outH, 1, outW, ch] });
    this.free(view);
    const out = this.reshape(picked, [n, outH, outW, ch]);
    this.free(picked);
    return out;
  }

  /** x[:, :, r0::sr, c0::sc] limited to outH x outW, for channel-major [C, N, H, W] data. */
  channelMajorSlice(x: TensorInfo, r0: number, c0: number, outH: number, outW: number, sr: number, sc: number): TensorInfo {
    const [c, n, h, w] = x.shape as [number, number, number, number];
    if (r0 === 0 && c0 === 0 && outH === h && outW === w) return this.share(x);
    if (sr === 1 && sc === 1) {
      return this.run('Slice', { x }, { begin: [0, 0, r0, c0], size: [c, n, outH, outW] });
    }
    return this.run('StridedSlice', { x }, {
      begin: [0, 0, r0, c0],
      end: [c, n, r0 + (outH - 1) * sr + 1, c0 + (outW - 1) * sc + 1],
      strides: [1, 1, sr, sc],
      beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
    });
  }

  /**
   * Inserts (s - 1) zeros between neighbouring rows/cols of an NHWC tensor: [N, (H-1)s+1, (W-1)s+1, C].
   * Done as a pad of a rank-6 view followed by a reshape and a crop.
   */
  zeroDilate(x: TensorInfo, sh: number, sw: number): TensorInfo {
    if (sh === 1 && sw === 1) return this.share(x);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const six = this.reshape(x, [n, h, 1, w, 1, c]);
    const padded = this.run('PadV2', { x: six }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0,
    });
    this.free(six);
    const flat = this.reshape(padded, [n, h * sh, w * sw, c]);
    this.free(padded);
    const out = this.run('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c] });
    this.free(flat);
    return out;
  }
}
