import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, generateDemoData, MANIFEST_VERSION, readDemoManifest, type DemoOptions } from './generate';

/** The monorepo root: the nearest folder above `from` holding pnpm-workspace.yaml. */
function repoRoot(from: string): string | undefined {
  for (let d = path.resolve(from); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'pnpm-workspace.yaml'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** $PAWPIPE_DEMO_DIR, else <repo root>/data/demo (gitignored), else ./data/demo. */
export function defaultDemoDir(): string {
  if (process.env.PAWPIPE_DEMO_DIR) return path.resolve(process.env.PAWPIPE_DEMO_DIR);
  const root = repoRoot(__dirname) ?? repoRoot(process.cwd()) ?? process.cwd();
  return path.join(root, 'data', 'demo');
}

/**
 * Returns a demo folder with the requested settings (defaults: Cat/Dog, 1,000 each, seed 1337,
 * planted files), generating it only when it is missing or was made with other settings or
 * planting rules.
 */
export async function ensureDemoData(opts: Partial<DemoOptions> = {}): Promise<string> {
  const outDir = path.resolve(opts.outDir ?? defaultDemoDir());
  const want = {
    classes: opts.classes ?? [...DEFAULTS.classes],
    perClass: opts.perClass ?? DEFAULTS.perClass,
    seed: opts.seed ?? DEFAULTS.seed,
    plantBroken: opts.plantBroken ?? DEFAULTS.plantBroken,
  };
  const have = await readDemoManifest(outDir);
  if (
    have &&
    have.version === MANIFEST_VERSION &&
    have.seed === want.seed &&
    have.perClass === want.perClass &&
    have.plantBroken === want.plantBroken &&
    have.classes.join('\0') === want.classes.join('\0')
  ) {
    return outDir;
  }
  await generateDemoData({ ...want, outDir });
  return outDir;
}
