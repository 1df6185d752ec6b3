import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readKeyPair, readPublicKey } from '@pawpipe/protocol';

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
let dir: string;
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-keys-cmd-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('keys --out DIR writes a CURVE pair named after the folder; the secret is owner-only', async () => {
  const out = path.join(dir, 'trainer');
  const r = cli(['keys', '--out', out]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toBe(`public key: ${out}/trainer.key (give it to peers)\nsecret key: ${out}/trainer.key_secret (owner-only; keep it private)\n`);
  expect(statSync(path.join(out, 'trainer.key_secret')).mode & 0o777).toBe(0o600);
  const pair = await readKeyPair(out);
  expect(await readPublicKey(path.join(out, 'trainer.key'))).toBe(pair.publicKey);
  expect(pair.publicKey).not.toBe(pair.secretKey);
});

test('keys never overwrites a pair: one line naming the file, exit 2, the old pair intact', () => {
  const out = path.join(dir, 'k');
  expect(cli(['keys', '--out', out, '--name', 'loader-1']).code).toBe(0);
  const before = readFileSync(path.join(out, 'loader-1.key_secret'), 'utf8');
  const again = cli(['keys', '--out', out, '--name', 'loader-1']);
  expect(again.code).toBe(2);
  expect(again.err).toBe(`pawpipe: ${out}/loader-1.key exists; it is left as it is (choose another --out or --name)\n`);
  expect(readFileSync(path.join(out, 'loader-1.key_secret'), 'utf8')).toBe(before);
  expect(cli(['keys', '--out', out, '--name', '../x']).code).toBe(2);
});
