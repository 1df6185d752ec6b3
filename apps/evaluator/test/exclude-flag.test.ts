import { spawn } from 'node:child_process';
import * as path from 'node:path';

// --exclude must match the loaders'; a category that does not exist is refused before any work.
const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');

test('--exclude with an unknown category: one line naming the flag, exit code 2', async () => {
  const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, '--no-follow', '--exclude', 'format-mismatch,ugly'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, err }));
  });
  expect(r.code).toBe(2);
  expect(r.err).toBe(
    'pawpipe-evaluator: --exclude: takes image-validation categories (not-an-image, too-large, damaged, format-mismatch, unsupported, decodes-with-warnings) or none, received: ugly (see --help)\n',
  );
});

test('--decode with an unknown mode: one line naming the flag and the choices, exit code 2', async () => {
  const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, '--no-follow', '--decode', 'quick'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, err }));
  });
  expect(r.code).toBe(2);
  expect(r.err).toBe('pawpipe-evaluator: Invalid values: Argument: decode, Given: "quick", Choices: "exact", "fast" (see --help)\n');
});
