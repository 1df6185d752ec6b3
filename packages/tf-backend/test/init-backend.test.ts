import { BackendError, initBackend, tf, type NativePackage } from '../src';

const absent = (name: NativePackage): never => {
  throw new Error(`Cannot find module '@tensorflow/${name}'`);
};

describe('initBackend', () => {
  test("auto without tfjs-node falls to wasm and says why each native package was passed over", async () => {
    const lines: string[] = [];
    const sel = await initBackend('auto', { loadNative: absent, log: (l) => lines.push(l) });
    expect(sel.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // WebGPU comes between the two native packages; here it has no hardware adapter (at most SwiftShader)
    expect(sel.passedOver.map((p) => p.name)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
    expect(sel.passedOver[0]?.why).toContain("Cannot find module '@tensorflow/tfjs-node-gpu'");
    expect(lines[0]).toMatch(/^backend: wasm/);
    expect(sel.reason).toContain('gradient kernels');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  test('auto with the real, broken tfjs-node of this install reports the missing native addon', async () => {
    // On machines where libtensorflow was downloaded this would pick 'tensorflow' instead.
    const sel = await initBackend('auto');
    if (sel.name === 'tensorflow') return expect(sel.reason).toMatch(/tfjs-node/);
    expect(sel.name).toBe('wasm');
    expect(sel.passedOver.find((p) => p.name === 'tfjs-node')?.why).toMatch(/could not be loaded/);
  });

  test('an addon that was never built is said in words, not as its store path', async () => {
    const unbuilt = (): never => {
      throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/.pnpm/y/tfjs_binding.node.\nPlease run command ...');
    };
    const sel = await initBackend('auto', { loadNative: unbuilt });
    expect(sel.passedOver[0]?.why).toBe('could not be loaded: its native addon (tfjs_binding.node) was never built; see packages/tf-backend/README.md to enable it');
  });

  test('a native package that loads but whose backend does not start is passed over', async () => {
    const sel = await initBackend('auto', { loadNative: () => ({}) });
    expect(sel.name).toBe('wasm');
    expect(sel.passedOver[0]?.why).toMatch(/loaded but its backend did not start/);
  });

  test("'tensorflow' where it cannot load is one BackendError with code tensorflow-unavailable", async () => {
    const err = await initBackend('tensorflow', { loadNative: absent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe('tensorflow-unavailable');
    expect((err as BackendError).message).toMatch(/choose 'wasm'/);
  });

  test("'cpu' is honoured and the others are reported as not tried", async () => {
    const sel = await initBackend('cpu');
    expect(sel.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(sel.passedOver.map((p) => p.name)).toEqual(['tensorflow', 'wasm']);
  });

  test('an unknown choice is a BackendError with code unknown-backend', async () => {
    const err = await initBackend('gpu' as never).catch((e: unknown) => e);
    expect((err as BackendError).code).toBe('unknown-backend');
  });
});
