#!/usr/bin/env node
// Builds .gpu-check/: a self-contained copy of `pnpm gpu-check` for a GPU machine that has Node 20
// but no network and no install (the device machines this project is lent: at most 64 MiB may
// travel). The trainer, the loader and the check are bundled with esbuild (tfjs and the pawpipe
// packages inside); native and data files stay as packages in .gpu-check/node_modules, pruned to
// one platform: sharp with its libvips, zeromq's prebuilt addon, Dawn's dawn.node, tfjs-wasm's
// .wasm files. Usage (after `pnpm build`): node scripts/pack-gpu-check.js [--platform linux-x64]
// Then on the GPU machine, from the folder holding .gpu-check/: node .gpu-check/apps/trainer/dist/gpu-check.js
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, '.gpu-check');
const i = process.argv.indexOf('--platform');
const platform = i >= 0 ? process.argv[i + 1] : 'linux-x64';
const [os, arch] = platform.split('-');

const entries = ['apps/trainer/dist/gpu-check.js', 'apps/trainer/dist/main.js', 'apps/loader/dist/main.js', 'packages/protocol/dist/broker-thread.js'];
// The trainer's BatchBroker starts its worker thread from broker-thread.js beside the bundle that holds it.
const outfile = (e) => path.join(out, e === 'packages/protocol/dist/broker-thread.js' ? 'apps/trainer/dist/broker-thread.js' : e);
const external = ['sharp', 'zeromq', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

for (const e of entries) {
  if (!fs.existsSync(path.join(root, e))) {
    console.error(`pack-gpu-check: ${e} is missing: run pnpm build first`);
    process.exit(2);
  }
}
fs.rmSync(out, { recursive: true, force: true });
const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
for (const e of entries) {
  execFileSync(esbuild, [e, '--bundle', '--platform=node', '--target=node20', '--minify', '--log-level=error',
    `--outfile=${outfile(e)}`, ...external.map((x) => `--external:${x}`)], { cwd: root, stdio: 'inherit' });
}

/** The folder of package `name` as seen from `from` (pnpm's layout: each package sees its deps). */
function pkgDir(name, from) {
  // walk up node_modules folders as Node does (a package's exports may hide its package.json)
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${name} not found from ${from}`);
  }
}

/** Copies a package (without nested node_modules), filtered, then the dependencies it can resolve. */
function copyPackage(name, from, keep = () => true, seen = new Set(), withDeps = true, required = false) {
  let dir;
  try {
    dir = pkgDir(name, from);
  } catch (e) {
    if (!required) return; // an optional dependency for another platform
    console.error(`pack-gpu-check: ${e.message}: run pnpm install first`);
    process.exit(2);
  }
  const real = fs.realpathSync(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const dest = path.join(out, 'node_modules', name);
  fs.cpSync(real, dest, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(real, src);
      return !rel.split(path.sep).includes('node_modules') && keep(rel);
    },
  });
  if (!withDeps) return;
  const pkg = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8'));
  // pnpm keeps a package's own dependencies beside it: <store>/node_modules/<name> -> resolve from there
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    // platform packages of other platforms (e.g. @img/sharp-darwin-arm64) are skipped
    if (/-(darwin|linux|linuxmusl|win32|wasm32)(-|$)/.test(dep) && !dep.includes(platform)) continue;
    copyPackage(dep, real, () => true, seen);
  }
}

// Each external package is resolved from the workspace package that depends on it (pnpm does not hoist).
const seen = new Set();
copyPackage('sharp', path.join(root, 'packages', 'data-pipeline'), () => true, seen, true, true);
// zeromq: its JS and the prebuilt addon of one platform (build/<os>/<arch>/...)
copyPackage('zeromq', path.join(root, 'packages', 'protocol'), (rel) => {
  if (/^(src|script|CMakeLists|vcpkg)/.test(rel)) return false;
  // build/<os>/<arch>/node/<libc>-<abi>-Release: this platform's glibc builds (the numbered
  // folders are older layouts the loader does not read first; musl machines are not covered)
  const [top, o, a, , build] = rel.split(path.sep);
  if (top !== 'build' || o === undefined || o === 'manifest.json') return true;
  return o === os && (a === undefined || a === arch) && (build === undefined || build.startsWith('glibc-'));
}, seen, true, true);
const tfBackend = path.join(root, 'packages', 'tf-backend');
// Dawn: package.json and dist/<platform>/dawn.node
copyPackage('webgpu', tfBackend, (rel) => rel === '' || rel === 'package.json' || rel === 'dist' ||
  rel.startsWith(path.join('dist', `${os}-${os === 'darwin' ? 'universal' : arch}`)), new Set(), false, true);
// tfjs-wasm: only what is read at run time (the .wasm binaries and the threaded build's scripts)
copyPackage('@tensorflow/tfjs-backend-wasm', tfBackend, (rel) => rel === '' || rel === 'package.json' ||
  rel === 'dist' || /^dist[\\/][^\\/]+\.wasm$/.test(rel) || rel.startsWith('wasm-out'), new Set(), false, true);

function size(p) {
  const st = fs.statSync(p);
  return st.isDirectory() ? fs.readdirSync(p).reduce((s, f) => s + size(path.join(p, f)), 0) : st.size;
}
const mib = size(out) / 2 ** 20;
console.log(`pack-gpu-check: ${path.relative(root, out)} for ${platform}, ${mib.toFixed(1)} MiB${mib > 64 ? ' (OVER the 64 MiB a device call carries)' : ''}`);
