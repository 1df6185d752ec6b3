// MaxPoolGrad for WebGPU where the first maximum of a window takes the gradient, as in TensorFlow,
// tfjs' cpu backend and pawpipe's wasm kernel. tfjs-backend-webgpu 4.22 finds each window's
// argmax with `value >= max` (pool_webgpu.ts), so the LAST of tied maxima wins there: on windows
// with ties (zeros after a ReLU, saturated pixels) its gradients differ from every other backend.
// Same two passes as tfjs' kernel (window argmax, then each input gathers the dy of the windows
// whose argmax it is), with `>` and a start at -infinity: NaN and -Infinity never win, and a
// window of only those passes no gradient (position -1), as on cpu.
import { backend_util, registerKernel, unregisterKernel, getKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';

interface WebGpuProgram {
  variableNames: string[];
  uniforms: string;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}
interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], dtype: string, uniforms: Array<{ type: string; data: number[] }>): TensorInfo;
  disposeData(id: object): void;
}

interface WebGpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

/** A flat program of 64-thread workgroups, laid out and dispatched by tfjs' own helpers. */
function flat(program: Omit<WebGpuProgram, 'dispatchLayout' | 'dispatch' | 'workgroupSize' | 'size'>): WebGpuProgram {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const util = (require('@tensorflow/tfjs-backend-webgpu') as { webgpu_util: WebGpuUtil }).webgpu_util;
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(program.outputShape);
  return { ...program, dispatchLayout, dispatch: util.computeDispatch(dispatchLayout, program.outputShape, workgroupSize), workgroupSize, size: true };
}

function positionsProgram(convInfo: backend_util.Conv2DInfo): WebGpuProgram {
  return flat({
    variableNames: ['x'],
    uniforms: 'strides : vec2<i32>, pads : vec2<i32>, dilations : vec2<i32>, convDims : vec2<i32>, filterDims : vec2<i32>,',
    outputShape: convInfo.outShape,
    shaderKey: 'pawpipe_maxPoolFirstPositions',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let batch = coords[0];
          let d = coords[3];
          let corner = vec2<i32>(coords.yz) * uniforms.strides - uniforms.pads;
          var maxValue = -uniforms.INFINITY;
          var maxPosition = -1;
          for (var wR = 0; wR < uniforms.filterDims.x; wR = wR + uniforms.dilations.x) {
            let xR = corner.x + wR;
            if (xR < 0 || xR >= uniforms.convDims.x) { continue; }
            for (var wC = 0; wC < uniforms.filterDims.y; wC = wC + uniforms.dilations.y) {
              let xC = corner.y + wC;
              if (xC < 0 || xC >= uniforms.convDims.y) { continue; }
              let value = getX(batch, xR, xC, d);
              if (value > maxValue) {
                maxValue = value;
                maxPosition = wR * uniforms.filterDims.y + wC;
              }
            }
          }
          setOutputAtIndexI32(index, maxPosition);
        }
      }`,
  });
}

function backpropProgram(convInfo: backend_util.Conv2DInfo): WebGpuProgram {
  return flat({
    variableNames: ['dy', 'maxPos'],
    uniforms: 'strides : vec2<i32>, pads : vec2<i32>, dilations : vec2<i32>, filterDims : vec2<i32>, outHeight : i32, outWidth : i32,',
    outputShape: convInfo.inShape,
    shaderKey: 'pawpipe_maxPoolFirstBackprop',
    // dx(xR, xC) = sum of dy over the windows whose first maximum is (xR, xC)
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let batch = coords[0];
          let d = coords[3];
          let at = vec2<i32>(coords.yz) + uniforms.pads;
          var dotProd = 0.0;
          for (var wR = 0; wR < uniforms.filterDims.x; wR = wR + uniforms.dilations.x) {
            let r = at.x - wR;
            if (r < 0 || r % uniforms.strides.x != 0) { continue; }
            let yR = r / uniforms.strides.x;
            if (yR >= uniforms.outHeight) { continue; }
            for (var wC = 0; wC < uniforms.filterDims.y; wC = wC + uniforms.dilations.y) {
              let c = at.y - wC;
              if (c < 0 || c % uniforms.strides.y != 0) { continue; }
              let yC = c / uniforms.strides.y;
              if (yC >= uniforms.outWidth) { continue; }
              if (i32(getMaxPos(batch, yR, yC, d)) == wR * uniforms.filterDims.y + wC) {
                dotProd = dotProd + getDy(batch, yR, yC, d);
              }
            }
          }
          setOutputAtIndex(index, dotProd);
        }
      }`,
  });
}

interface MaxPoolGradAttrs { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' }

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: unknown; attrs: unknown }): TensorInfo {
  const { dy, input } = args.inputs;
  const backend = args.backend as WebGpuBackendLike;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const common = [
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
  ];
  const positions = backend.runWebGPUProgram(positionsProgram(info), [input], 'int32', [
    ...common,
    { type: 'int32', data: [info.inHeight, info.inWidth] },
    { type: 'int32', data: [info.effectiveFilterHeight, info.effectiveFilterWidth] },
  ]);
  const dx = backend.runWebGPUProgram(backpropProgram(info), [dy, positions], input.dtype, [
    ...common,
    { type: 'int32', data: [info.effectiveFilterHeight, info.effectiveFilterWidth] },
    { type: 'int32', data: [info.outHeight] },
    { type: 'int32', data: [info.outWidth] },
  ]);
  backend.disposeData(positions.dataId);
  return dx;
}

/** Replaces tfjs' WebGPU MaxPoolGrad; returns the names it registered (once per process). */
export function registerWebGpuKernels(): string[] {
  const current = getKernel('MaxPoolGrad', 'webgpu');
  if (current?.kernelFunc === (maxPoolGrad as unknown)) return [];
  if (current) unregisterKernel('MaxPoolGrad', 'webgpu');
  registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'webgpu', kernelFunc: maxPoolGrad } as unknown as KernelConfig);
  return ['MaxPoolGrad'];
}
