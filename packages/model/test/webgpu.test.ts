// The mini-Xception and pawpipe's layers (Conv2D, the fused BatchNormalization, RandomFlip,
// RandomRotation with its TF-exact sampler) on WebGPU give cpu's numbers. Without a GPU this runs
// on SwiftShader, a CPU emulation slower than the cpu backend: batches are tiny.
import { initBackend, releaseWebGpu, tf, webGpuTestGate } from '@pawpipe/tf-backend';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { randomFlip, randomRotation } from '../src';

const gate = webGpuTestGate();
// eslint-disable-next-line no-console
if (!gate.ok) console.log(`skipped: no WebGPU adapter (${gate.why})`);
const describeGpu = gate.ok ? describe : describe.skip;

// SwiftShader compiles every shader on the CPU at first use; the cpu reference takes ~13 s a step
jest.setTimeout(240_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const steps = require('./mini-xception-steps.js') as {
  runSteps(o: { size: number; n: number; steps: number }): Promise<number[]>;
  pictures(n: number, size: number): { x: Float32Array; y: Float32Array };
};

/** The cpu reference in a plain Node process (see mini-xception-steps.js for why). */
function cpuSteps(o: { size: number; n: number; steps: number }): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'mini-xception-steps.js'), 'cpu', String(o.size), String(o.n), String(o.steps)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as number[])
      : reject(new Error(`cpu reference exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}

describeGpu('on WebGPU, as on cpu', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
  });
  afterAll(releaseWebGpu);

  test('five Adam steps of the full mini-Xception at 32x32 (augmentation and Dropout on): the loss of every step within 1e-4 of cpu', async () => {
    const run = { size: 32, n: 2, steps: 5 };
    const reference = cpuSteps(run); // in parallel, on the other core
    await tf.setBackend('webgpu');
    const gpu = await steps.runSteps(run);
    const cpu = await reference;
    // eslint-disable-next-line no-console
    console.log(`losses, webgpu: ${gpu.map((l) => l.toFixed(6)).join(' ')}\nlosses, cpu:    ${cpu.map((l) => l.toFixed(6)).join(' ')}`);
    expect(gpu).toHaveLength(5);
    gpu.forEach((l, i) => expect(Math.abs(l - (cpu[i] as number)) / Math.abs(cpu[i] as number)).toBeLessThan(1e-4));
    // the steps did train: five Adam updates moved the loss
    expect(new Set(cpu.map((l) => l.toFixed(4))).size).toBeGreaterThan(1);
  });

  test('RandomFlip and RandomRotation (reflect fill, bilinear): the same seeded training outputs as cpu', async () => {
    const { x } = steps.pictures(3, 12);
    const outputs = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const xs = tf.tensor4d(x, [3, 12, 12, 3]);
      const flipped = randomFlip({ mode: 'horizontal_and_vertical', seed: 9 }).apply(xs, { training: true }) as tf.Tensor;
      const rotated = randomRotation({ factor: 0.1, seed: 9 }).apply(xs, { training: true }) as tf.Tensor;
      const out = [(await flipped.data()) as Float32Array, (await rotated.data()) as Float32Array];
      tf.dispose([xs, flipped, rotated]);
      return out;
    };
    const [gpuFlip, gpuRot] = await outputs('webgpu');
    const [cpuFlip, cpuRot] = await outputs('cpu');
    expect(Array.from(gpuFlip as Float32Array)).toEqual(Array.from(cpuFlip as Float32Array));
    let diff = 0;
    (gpuRot as Float32Array).forEach((v, i) => { diff = Math.max(diff, Math.abs(v - (cpuRot as Float32Array)[i]!)); });
    expect(diff).toBeLessThan(1e-3); // pixels in [0, 255]: float32 rounding of the bilinear sums
    // and the rotation did move pixels
    expect(Array.from(cpuRot as Float32Array)).not.toEqual(Array.from(x));
  });
});
