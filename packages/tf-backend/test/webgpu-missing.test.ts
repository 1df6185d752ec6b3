// Without an adapter: '--backend webgpu' is one clear line (BackendError webgpu-unavailable), and
// 'auto' moves on to wasm saying why. A child process with a Vulkan loader pointed at no driver
// stands in for a machine without a GPU (Dawn reads the variable when it starts).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

function inChild(script: string): { out: string; err: string; code: number | null } {
  const dist = JSON.stringify(path.resolve(__dirname, '..', 'dist'));
  const env: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/no_icd.json', XDG_RUNTIME_DIR: '/tmp' };
  delete env['VK_DRIVER_FILES'];
  const r = spawnSync(process.execPath, ['-e', `const b = require(${dist}); (async () => { ${script} })().catch((e) => { console.log(JSON.stringify({ code: e.code, message: e.message })); })`],
    { encoding: 'utf8', env, timeout: 60_000 });
  return { out: r.stdout.trim().split('\n').at(-1) ?? '', err: r.stderr, code: r.status };
}

test("'webgpu' without an adapter is one BackendError line naming why and what to do", () => {
  const r = inChild("await b.initBackend('webgpu');");
  expect(r.code).toBe(0);
  const e = JSON.parse(r.out) as { code: string; message: string };
  expect(e.code).toBe('webgpu-unavailable');
  expect(e.message).toMatch(/^backend 'webgpu' is not available: no WebGPU adapter: Dawn found no usable Vulkan, Metal or D3D12 driver .*see "Backends, and a GPU run" in the README, or choose 'wasm'$/);
  expect(e.message).not.toContain('\n');
});

test("'auto' without an adapter moves on to wasm, says why, and keeps Dawn's driver warnings off stderr", () => {
  const r = inChild("const s = await b.initBackend('auto', { loadNative: () => { throw new Error('not installed'); } }); console.log(JSON.stringify(s));");
  const sel = JSON.parse(r.out) as { name: string; passedOver: Array<{ name: string; why: string }> };
  expect(sel.name).toBe('wasm');
  expect(sel.passedOver.find((p) => p.name === 'webgpu')?.why).toMatch(/^no WebGPU adapter/);
  expect(r.err).not.toMatch(/Vulkan|XDG_RUNTIME_DIR/);
});
