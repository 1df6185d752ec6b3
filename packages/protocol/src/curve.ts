import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { curveKeyPair } from 'zeromq';
import type { Socket } from 'zeromq';
import { ProtocolError } from './errors';
import { z85Decode } from './z85';
import { zapHandler } from './zap';

/** A CURVE key pair in Z85 text (40 characters each), as libzmq and pyzmq take them. */
export interface CurveKeyPair { publicKey: string; secretKey: string }

/** A server socket's CURVE settings: its key pair, and the client public keys it admits. */
export interface CurveServer {
  keys: CurveKeyPair;
  /** Z85 public keys allowed in; null: any client that knows the server's public key */
  authorized: string[] | null;
}

/** A client socket's CURVE settings: the server's public key, and its own key pair. */
export interface CurveClient {
  serverKey: string;
  keys: CurveKeyPair;
}

/** File names: ZeroMQ's certificate format (czmq zcert), which pyzmq's zmq.auth.load_certificate reads. */
export const PUBLIC_SUFFIX = '.key';
export const SECRET_SUFFIX = '.key_secret';
export const AUTHORIZED_DIR = 'authorized';

export function newKeyPair(): CurveKeyPair {
  return curveKeyPair();
}

function certificate(pair: { publicKey: string; secretKey?: string }, what: string): string {
  return [
    `#   ****  pawpipe CURVE certificate: ${what}  ****`,
    `#   ZeroMQ certificate format (czmq zcert); pyzmq: zmq.auth.load_certificate(path)`,
    'metadata',
    'curve',
    `    public-key = "${pair.publicKey}"`,
    ...(pair.secretKey ? [`    secret-key = "${pair.secretKey}"`] : []),
    '',
  ].join('\n');
}

/** Parse a certificate file's text; a bad one throws a ProtocolError naming the file. */
export function parseCertificate(text: string, file: string): { publicKey: string; secretKey: string | null } {
  const find = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, 'm').exec(text)?.[1] ?? null;
  const publicKey = find('public-key');
  const secretKey = find('secret-key');
  for (const [k, v] of [['public-key', publicKey], ['secret-key', secretKey]] as const) {
    if (v !== null && (v.length !== 40 || !z85Decode(v))) throw new ProtocolError('bad-keys', `${file}: ${k} is not a 40-character Z85 key; make a new pair with pawpipe keys --out DIR`);
  }
  if (!publicKey) throw new ProtocolError('bad-keys', `${file} has no public-key line; it is not a ZeroMQ certificate (pawpipe keys --out DIR makes one)`);
  return { publicKey, secretKey };
}

/** Write NAME.key (public) and NAME.key_secret (both keys, owner-only) into dir; never overwrites. */
export async function writeKeyPair(dir: string, name: string, pair: CurveKeyPair = newKeyPair()): Promise<{ publicFile: string; secretFile: string }> {
  await fs.mkdir(dir, { recursive: true });
  const publicFile = path.join(dir, `${name}${PUBLIC_SUFFIX}`);
  const secretFile = path.join(dir, `${name}${SECRET_SUFFIX}`);
  for (const f of [publicFile, secretFile]) {
    if (await fs.stat(f).then(() => true, () => false)) throw new ProtocolError('bad-keys', `${f} exists; it is left as it is (choose another --out or --name)`);
  }
  // 'wx': fail rather than overwrite if something appeared meanwhile; the secret is readable by its owner only.
  await fs.writeFile(secretFile, certificate(pair, `${name}, secret: keep it private`), { flag: 'wx', mode: 0o600 });
  await fs.writeFile(publicFile, certificate({ publicKey: pair.publicKey }, `${name}, public: give it to peers`), { flag: 'wx', mode: 0o644 });
  return { publicFile, secretFile };
}

/** The key pair in `dir` (its one *.key_secret file). */
export async function readKeyPair(dir: string): Promise<CurveKeyPair> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw new ProtocolError('bad-keys', `cannot read the keys folder ${dir}: ${(e as Error).message} (pawpipe keys --out ${dir} makes one)`, { cause: e });
  }
  const secrets = names.filter((n) => n.endsWith(SECRET_SUFFIX));
  if (secrets.length !== 1) {
    throw new ProtocolError('bad-keys', `${dir} must hold exactly one *${SECRET_SUFFIX} file, it holds ${secrets.length} (pawpipe keys --out DIR makes one)`);
  }
  const file = path.join(dir, secrets[0] as string);
  const cert = parseCertificate(await fs.readFile(file, 'utf8'), file);
  if (!cert.secretKey) throw new ProtocolError('bad-keys', `${file} has no secret-key line`);
  return { publicKey: cert.publicKey, secretKey: cert.secretKey };
}

/** A public key: a certificate file, or a folder holding exactly one NAME.key. */
export async function readPublicKey(fileOrDir: string): Promise<string> {
  let file = fileOrDir;
  try {
    if ((await fs.stat(fileOrDir)).isDirectory()) {
      const pubs = (await fs.readdir(fileOrDir)).filter((n) => n.endsWith(PUBLIC_SUFFIX));
      if (pubs.length !== 1) throw new ProtocolError('bad-keys', `${fileOrDir} must hold exactly one *${PUBLIC_SUFFIX} file, it holds ${pubs.length}; name the file instead`);
      file = path.join(fileOrDir, pubs[0] as string);
    }
    return parseCertificate(await fs.readFile(file, 'utf8'), file).publicKey;
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('bad-keys', `cannot read the public key ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** A server's settings from its keys folder: its pair, and the *.key files in DIR/authorized (if that folder exists). */
export async function readServerKeys(dir: string): Promise<CurveServer> {
  const keys = await readKeyPair(dir);
  const authDir = path.join(dir, AUTHORIZED_DIR);
  let names: string[];
  try {
    names = await fs.readdir(authDir);
  } catch {
    return { keys, authorized: null };
  }
  const authorized: string[] = [];
  for (const n of names.filter((x) => x.endsWith(PUBLIC_SUFFIX)).sort()) {
    const file = path.join(authDir, n);
    authorized.push(parseCertificate(await fs.readFile(file, 'utf8'), file).publicKey);
  }
  return { keys, authorized };
}

/** A client's settings: the server's public key (file or folder) and its own pair (a folder, or a new pair). */
export async function readClientKeys(serverKey: string, keysDir?: string): Promise<CurveClient> {
  return { serverKey: await readPublicKey(serverKey), keys: keysDir ? await readKeyPair(keysDir) : newKeyPair() };
}

/**
 * Make `socket` a CURVE server: encrypted, and only clients that know its public key (and, with
 * an authorized list, hold one of those keys) get through the handshake. Call before bind();
 * call the returned function after closing the socket.
 */
export async function applyCurveServer(socket: Socket, curve: CurveServer): Promise<() => Promise<void>> {
  const domain = `pawpipe-${randomBytes(6).toString('hex')}`;
  const zap = zapHandler(socket.context);
  await zap.register(domain, curve.authorized);
  socket.zapDomain = domain;
  socket.curveServer = true;
  socket.curveSecretKey = curve.keys.secretKey;
  socket.curvePublicKey = curve.keys.publicKey;
  return () => zap.unregister(domain);
}

/** Make `socket` a CURVE client of the server whose public key is given. Call before connect(). */
export function applyCurveClient(socket: Socket, curve: CurveClient): void {
  socket.curveServerKey = curve.serverKey;
  socket.curvePublicKey = curve.keys.publicKey;
  socket.curveSecretKey = curve.keys.secretKey;
}

/** True for an address only this machine can reach (a bind there needs no keys). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
