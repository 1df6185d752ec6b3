// Five (or N) Adam steps of the full mini-Xception (augmentation and Dropout on) on one backend,
// from weights and Dropout masks that depend only on a seed: Math.random, which seeds tfjs' weight
// initialisers and Dropout, is replaced by an LCG for the run. Used by webgpu.test.ts in-process
// for WebGPU and, for the cpu reference, as a child process: under jest's module sandbox the cpu
// backend's training step is ~7x slower than in plain Node (90 s against 13 s a step here).
// Plain CommonJS on the built packages, so both runs execute the very same code.
const { initBackend, tf } = require('@pawpipe/tf-backend');
const { makeModel, trainStep } = require('../dist');

/** Numerical Recipes LCG in [0, 1). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A batch of smooth pictures (a bright left or right half), labels 1 / 0. */
function pictures(n, size) {
  const x = new Float32Array(n * size * size * 3);
  const rand = lcg(11);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < size * size * 3; i++) {
      const col = Math.floor(i / 3) % size;
      const bright = (b % 2 === 0) === (col < size / 2);
      x[b * size * size * 3 + i] = (bright ? 200 : 40) + 30 * rand();
    }
  }
  return { x, y: Float32Array.from({ length: n }, (_, b) => (b % 2 === 0 ? 1 : 0)) };
}

/** The loss of each step, on the backend already started by the caller. */
async function runSteps({ size, n, steps }) {
  const { x, y } = pictures(n, size);
  const random = Math.random;
  Math.random = lcg(5);
  try {
    const model = makeModel({ inputShape: [size, size, 3], numClasses: 2, augmentation: { flip: 'horizontal', rotation: 0.1, seed: 3 } });
    const optimizer = tf.train.adam(1e-3);
    const xs = tf.tensor4d(x, [n, size, size, 3]);
    const ys = tf.tensor2d(y, [n, 1]);
    const losses = [];
    for (let i = 0; i < steps; i++) losses.push((await trainStep(model, optimizer, xs, ys)).loss);
    tf.dispose([xs, ys]);
    model.dispose();
    optimizer.dispose();
    return losses;
  } finally {
    Math.random = random;
  }
}

module.exports = { runSteps, pictures, lcg };

if (require.main === module) {
  // node mini-xception-steps.js BACKEND SIZE N STEPS -> one JSON line: the losses
  const [backend, size, n, steps] = process.argv.slice(2);
  initBackend(backend)
    .then(() => runSteps({ size: Number(size), n: Number(n), steps: Number(steps) }))
    .then((losses) => { process.stdout.write(`${JSON.stringify(losses)}\n`); })
    .catch((err) => { process.stderr.write(`${err && err.stack ? err.stack : err}\n`); process.exit(1); });
}
