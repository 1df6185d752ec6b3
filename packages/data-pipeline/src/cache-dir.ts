import * as os from 'node:os';
import * as path from 'node:path';

/** Where pawpipe keeps caches and reports: `$PAWPIPE_CACHE_DIR`, else `~/.cache/pawpipe` (never the data folder). */
export function pawpipeCacheDir(): string {
  const env = process.env['PAWPIPE_CACHE_DIR'];
  if (env) return path.resolve(env);
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), '.cache'), 'pawpipe');
}
