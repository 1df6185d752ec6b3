// Replacement Sum and Mean kernels for wasm that route the NHWC batch/spatial reductions of
// training (axes [1,2] and [0,1,2] of rank-4 float32 data) through spatial-sum.ts and hand
// every other case to wasm's original kernel unchanged.
import { getKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { batchSpatialReduce, spatialMean } from './spatial-sum';
import { WasmOps, type WasmBackendLike } from './wasm-ops';

type Kind = 'Sum' | 'Mean';

function isAxes(axes: number[], want: number[]): boolean {
  return axes.length === want.length && [...axes].sort().every((a, i) => a === want[i]);
}

export function makeReductionConfig(kind: Kind): KernelConfig {
  const original = getKernel(kind, 'wasm');
  if (original == null) throw new Error(`wasm kernel '${kind}' is not registered`);
  const fallback = original.kernelFunc;
  const kernelFunc = ((args: {
    inputs: { x: TensorInfo }; backend: WasmBackendLike; attrs: { axis: number | number[]; keepDims: boolean };
  }) => {
    const { inputs: { x }, attrs } = args;
    if (x.dtype !== 'float32' || x.shape.length !== 4) return fallback(args as never);
    const axes = util.parseAxisParam(attrs.axis, x.shape);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (h * w <= 1) return fallback(args as never);
    const ops = new WasmOps(args.backend);
    let out: TensorInfo;
    if (isAxes(axes, [1, 2])) {
      const mean = spatialMean(ops, x); // [N, 1, 1, C]
      if (kind === 'Mean') {
        out = mean;
      } else {
        const scale = ops.run('Fill', {}, { shape: [], value: h * w, dtype: 'float32' });
        out = ops.run('Multiply', { a: mean, b: scale });
        ops.free(mean, scale);
      }
      const shaped = ops.reshape(out, attrs.keepDims ? [n, 1, 1, c] : [n, c]);
      ops.free(out);
      return shaped;
    }
    if (isAxes(axes, [0, 1, 2])) {
      out = batchSpatialReduce(ops, x, kind === 'Sum' ? 'sum' : 'mean');
      const shaped = ops.reshape(out, attrs.keepDims ? [1, 1, 1, c] : [c]);
      ops.free(out);
      return shaped;
    }
    return fallback(args as never);
  }) as unknown as KernelFunc;
  // Keep the original setupFunc: it binds the wasm function that the fallback calls.
  return { kernelName: kind, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc };
}
