// Builds the page into dist/public at build time (nothing is fetched from a CDN when it runs):
// ui/main.ts and its imports (uPlot, TensorFlow.js) as one script and one stylesheet, index.html,
// and the wasm backend's .wasm files, which tfjs-backend-wasm loads from /static/wasm/.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const out = path.join(__dirname, 'dist', 'public');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'wasm'), { recursive: true });
esbuild.buildSync({
  entryPoints: { app: path.join(__dirname, 'ui', 'main.ts') },
  bundle: true, minify: true, sourcemap: true, format: 'iife', platform: 'browser', target: 'es2020',
  outdir: out, logLevel: 'warning',
  // tfjs-backend-wasm's emscripten glue names Node modules it never loads in a browser
  external: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto'],
});
fs.copyFileSync(path.join(__dirname, 'ui', 'index.html'), path.join(out, 'index.html'));
const wasmDist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
for (const f of fs.readdirSync(path.join(wasmDist, 'dist')).filter((n) => n.endsWith('.wasm'))) {
  fs.copyFileSync(path.join(wasmDist, 'dist', f), path.join(out, 'wasm', f));
}
