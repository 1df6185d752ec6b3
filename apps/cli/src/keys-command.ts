import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { writeKeyPair } from '@pawpipe/protocol';

interface KeysArgs { out: string; name?: string }

export const keysCommand: CommandModule<object, KeysArgs> = {
  command: 'keys',
  describe: 'write a CURVE key pair (ZeroMQ certificates) for the trainer, a loader or an evaluator',
  builder: (y) => y
    .option('out', { type: 'string', demandOption: true, describe: 'folder to write NAME.key (public) and NAME.key_secret (owner-only) into; existing files are never overwritten' })
    .option('name', { type: 'string', describe: 'file name stem (default: the folder\'s name)' })
    .check((a) => {
      if (a.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(a.name)) throw new Error('--name may hold letters, digits, ".", "_" and "-" only');
      return true;
    })
    .example('$0 keys --out keys/trainer', 'then: pawpipe-trainer --listen 0.0.0.0 --keys keys/trainer')
    .example('$0 keys --out keys/loader-1 && cp keys/loader-1/loader-1.key keys/trainer/authorized/', 'a loader key the trainer admits') as never,
  handler: async (args) => {
    const dir = path.resolve(args.out);
    const name = args.name ?? (path.basename(dir).replace(/[^A-Za-z0-9._-]/g, '_') || 'pawpipe');
    const { publicFile, secretFile } = await writeKeyPair(dir, name);
    process.stdout.write(`public key: ${publicFile} (give it to peers)\nsecret key: ${secretFile} (owner-only; keep it private)\n`);
  },
};
