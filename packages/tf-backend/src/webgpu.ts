// TensorFlow.js' WebGPU backend on Dawn (the `webgpu` npm package: Dawn's Node bindings, prebuilt
// inside the package). It needs only the GPU vendor's Vulkan (Linux), Metal (macOS) or D3D12
// (Windows) driver, where tfjs-node-gpu 4.22 needs CUDA 11.2 + cuDNN 8.1.
//
// pawpipe registers the 'webgpu' backend itself instead of letting @tensorflow/tfjs-backend-webgpu
// do it on import (its base.js registers only when navigator.gpu exists, then takes whatever
// adapter comes first and says nothing about it): here the adapter is requested once, described,
// and judged (a fallback adapter such as SwiftShader is a CPU emulation) before tfjs sees it.
// The kernels register on import whether or not navigator.gpu exists.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf } from './tf';
import { registerWebGpuKernels } from './webgpu-kernels/max-pool-grad';

/** What the log and the trainer need to know about an adapter. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for software adapters (SwiftShader): a CPU emulation, slower than wasm */
  isFallbackAdapter: boolean;
  /** bytes */
  maxBufferSize: number;
  /** bytes: the largest tensor one kernel can bind, which bounds a micro-batch */
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface AdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(descriptor: object): Promise<DeviceLike>;
}
interface DeviceLike { destroy(): void; lost?: Promise<unknown> }
interface GpuLike { requestAdapter(options?: object): Promise<AdapterLike | null> }

/** The outcome of looking for an adapter: one, or one line saying why there is none. */
export type AdapterProbe = { adapter: AdapterLike; info: WebGpuAdapterInfo } | { why: string };

let dawn: DawnModule | undefined;
let gpu: GpuLike | undefined;
let probed: AdapterProbe | undefined;
let active: WebGpuAdapterInfo | undefined;
let device: DeviceLike | undefined;
/** tf.findBackend would start a registered backend: whether ours has started is kept here. */
let started = false;

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

/** Dawn's flags: PAWPIPE_WEBGPU_ADAPTER picks an adapter by name where several drivers are visible. */
function dawnFlags(): string[] {
  const name = process.env['PAWPIPE_WEBGPU_ADAPTER'];
  return name ? [`adapter=${name}`] : [];
}

function describe(adapter: AdapterLike): WebGpuAdapterInfo {
  const info = adapter.info ?? {};
  const text = (k: string): string => (typeof info[k] === 'string' ? info[k] as string : '');
  const limit = (k: string): number => Number(adapter.limits[k] ?? 0);
  return {
    vendor: text('vendor'), architecture: text('architecture'), device: text('device'), description: text('description'),
    // GPUAdapterInfo.isFallbackAdapter in current WebGPU; GPUAdapter.isFallbackAdapter before
    isFallbackAdapter: info['isFallbackAdapter'] === true || adapter.isFallbackAdapter === true,
    maxBufferSize: limit('maxBufferSize'),
    maxStorageBufferBindingSize: limit('maxStorageBufferBindingSize'),
    maxComputeWorkgroupStorageSize: limit('maxComputeWorkgroupStorageSize'),
    maxComputeInvocationsPerWorkgroup: limit('maxComputeInvocationsPerWorkgroup'),
  };
}

/**
 * Dawn's addon, dist/<platform>-<arch>/dawn.node of the `webgpu` package, loaded directly: the
 * package's index.js is an ES module, which require() cannot load before Node 20.19 nor under
 * jest, and all it adds is a patch that unmaps a device's buffers on destroy() (tfjs keeps none
 * mapped by then).
 */
function loadDawn(): DawnModule {
  const dir = path.dirname(require.resolve('webgpu/package.json'));
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node')) as DawnModule;
}

/**
 * Loads Dawn and asks it for a high-performance adapter, once per process. Never throws: a missing
 * package, a missing driver or a refused adapter is a reason in words.
 */
export async function probeWebGpu(): Promise<AdapterProbe> {
  if (probed) return probed;
  try {
    dawn ??= loadDawn();
  } catch (err) {
    probed = { why: `the optional package 'webgpu' (Dawn) could not be loaded: ${firstLine(err)}` };
    return probed;
  }
  try {
    // One Dawn instance per process, kept to the end: a second instance after the first was
    // dropped crashed the process (segfault in Dawn) in about half the runs here. It hangs on the
    // addon's exports, which Node shares across module registries (jest's test files, say).
    const shared = dawn as DawnModule & { pawpipeInstance?: GpuLike };
    shared.pawpipeInstance ??= dawn.create(dawnFlags());
    gpu = shared.pawpipeInstance;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    probed = adapter
      ? { adapter, info: describe(adapter) }
      : { why: 'no WebGPU adapter: Dawn found no usable Vulkan, Metal or D3D12 driver (on Linux install the GPU vendor\'s Vulkan driver and libvulkan1; see the README)' };
  } catch (err) {
    probed = { why: `Dawn could not list adapters: ${firstLine(err)}` };
  }
  return probed;
}

/**
 * For 'auto': is there a hardware adapter? Asked in a child process, because Dawn writes its
 * driver warnings straight to stderr (a software Vulkan it refuses, "XDG_RUNTIME_DIR is invalid")
 * and a machine without a GPU should not show them on every start. Resolves to undefined when
 * the child cannot run (a bundled build without dist/webgpu.js): then the probe runs in-process.
 */
export type QuietProbe = { kind: 'none'; why: string } | { kind: 'fallback' | 'hardware'; adapter: string };

let quiet: Promise<QuietProbe | undefined> | undefined;

/** Once per process: the machine's adapters do not change while it runs. */
export function probeHardwareQuietly(): Promise<QuietProbe | undefined> {
  quiet ??= probeInChild();
  return quiet;
}

function probeInChild(): Promise<QuietProbe | undefined> {
  const built = path.resolve(__dirname, '..', 'dist', 'webgpu.js');
  if (!existsSync(built)) return Promise.resolve(undefined);
  const script = `const m = require(${JSON.stringify(built)}); m.probeWebGpu().then((p) => console.log(JSON.stringify('why' in p
    ? { kind: 'none', why: p.why } : { kind: p.info.isFallbackAdapter ? 'fallback' : 'hardware', adapter: m.describeAdapter(p.info) })))`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: 60_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? os.tmpdir() } }, (err, stdout) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as QuietProbe);
      } catch {
        resolve(err ? { kind: 'none', why: `the adapter probe failed: ${firstLine(err)}` } : undefined);
      }
    });
  });
}

/** "nvidia ampere (NVIDIA GeForce RTX 3060), buffers up to 2 GiB, bindings up to 2 GiB" */
export function describeAdapter(info: WebGpuAdapterInfo): string {
  const gib = (n: number): string => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(n % 2 ** 30 === 0 ? 0 : 1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`);
  const name = [info.vendor, info.architecture].filter((s) => s !== '').join(' ') || 'unknown vendor';
  const detail = info.description || info.device;
  return `${name}${detail ? ` (${detail})` : ''}, buffers up to ${gib(info.maxBufferSize)}, bindings up to ${gib(info.maxStorageBufferBindingSize)}`;
}

/**
 * Registers tfjs' 'webgpu' backend on the probed adapter (kernels from @tensorflow/tfjs-backend-webgpu,
 * device with the adapter's own limits, as that package's base.js asks for). Throws a one-line
 * Error when the package is missing.
 */
export function registerWebGpuBackend(adapter: AdapterLike, info: WebGpuAdapterInfo): void {
  let WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
  try {
    // WebGPU's constants (GPUBufferUsage, GPUMapMode, ...) must be globals for the kernels, and
    // WebGPUBackend's constructor insists on navigator.gpu (Node 20 has no navigator).
    Object.assign(globalThis, dawn?.globals ?? {});
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator === undefined) g.navigator = {};
    g.navigator.gpu = gpu;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: typeof WebGPUBackend });
  } catch (err) {
    throw new Error(`the optional package '@tensorflow/tfjs-backend-webgpu' could not be loaded: ${firstLine(err)}`);
  }
  // first maximum takes the gradient, as on every other backend (see the file)
  registerWebGpuKernels();
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  started = false;
  tf.registerBackend('webgpu', async () => {
    const limits = adapter.limits;
    const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits['maxComputeWorkgroupStorageSize'],
        maxComputeWorkgroupsPerDimension: limits['maxComputeWorkgroupsPerDimension'],
        maxStorageBufferBindingSize: limits['maxStorageBufferBindingSize'],
        maxBufferSize: limits['maxBufferSize'],
        maxComputeWorkgroupSizeX: limits['maxComputeWorkgroupSizeX'],
        maxComputeInvocationsPerWorkgroup: limits['maxComputeInvocationsPerWorkgroup'],
      },
    });
    active = info;
    const backend = new WebGPUBackend(device, adapter.info);
    started = true;
    return backend;
  }, 0);
}

/** The adapter the running 'webgpu' backend uses, if it has started. */
export function webGpuAdapter(): WebGpuAdapterInfo | undefined {
  return started ? active : undefined;
}

/**
 * Destroys the WebGPU device; the active backend moves to cpu if it was webgpu. Dawn's instance
 * stays for the life of the process (it does not keep Node from exiting). Safe to call when
 * WebGPU never started.
 */
export async function releaseWebGpu(): Promise<void> {
  if (started) {
    if (tf.getBackend() === 'webgpu') await tf.setBackend('cpu');
  }
  // WebGPUBackend.dispose() frees its buffers, not the device
  // first maximum takes the gradient, as on every other backend (see the file)
  registerWebGpuKernels();
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  started = false;
  device?.destroy();
  device = undefined;
  probed = undefined; // the next start asks the instance for a new adapter (this one is consumed)
  active = undefined;
}
