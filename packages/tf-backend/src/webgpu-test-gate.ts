// For test suites: is there a WebGPU adapter to test on? On a machine without a GPU the answer is
// SwiftShader, a software Vulkan driver (scripts/provision-swiftshader.sh puts it in
// .cache/swiftshader; Debian's chromium has it in /usr/lib/chromium). jest defines its tests
// synchronously, so the adapter is probed in a child process, once per test file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Where a SwiftShader ICD file may be, nearest first. */
function swiftShaderCandidates(): string[] {
  const found: string[] = [];
  // the repo's .cache/swiftshader, from any package folder below it
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
      found.push(path.join(dir, '.cache', 'swiftshader', 'vk_swiftshader_icd.json'));
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  found.push('/usr/lib/chromium/vk_swiftshader_icd.json');
  return found;
}

/** The SwiftShader ICD file to use, or undefined; VK_ICD_FILENAMES / VK_DRIVER_FILES set by the user win. */
export function softwareVulkanIcd(): string | undefined {
  return swiftShaderCandidates().find((f) => existsSync(f));
}

export type WebGpuGate = { ok: true; adapter: string; fallback: boolean } | { ok: false; why: string };

let gate: WebGpuGate | undefined;

/**
 * Asks Dawn for an adapter in a child process, with this process's environment (under jest, the
 * repo's jest.global-setup.js has pointed Vulkan at SwiftShader where no driver was named).
 * Cached per process.
 */
export function webGpuTestGate(): WebGpuGate {
  if (gate) return gate;
  // the built module (this file also runs from src/ under ts-jest; both sit one level below the package)
  const built = JSON.stringify(path.resolve(__dirname, '..', 'dist', 'webgpu.js'));
  const probe = `const m = require(${built}); m.probeWebGpu().then((p) => {
    console.log(JSON.stringify('why' in p ? { ok: false, why: p.why } : { ok: true, adapter: m.describeAdapter(p.info), fallback: p.info.isFallbackAdapter }));
  })`;
  const res = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000, env: { ...process.env } });
  const last = res.stdout?.trim().split('\n').at(-1) ?? '';
  try {
    gate = JSON.parse(last) as WebGpuGate;
  } catch {
    gate = { ok: false, why: `the adapter probe failed (${res.error?.message ?? (res.stderr.trim().split('\n').at(-1) || `exit ${res.status}`)})` };
  }
  if (!gate.ok && !softwareVulkanIcd()) gate = { ok: false, why: `${gate.why}; run scripts/provision-swiftshader.sh for a software Vulkan driver` };
  return gate;
}
