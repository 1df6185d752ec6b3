import type { Argv, CommandModule } from 'yargs';
import { indexDirectory, type Entry } from '../index-directory';
import { pythonJsonDumps } from '../python-json';
import type { Subset } from '../options';
import { dataFlags, logToStderr, type DataFlags } from './common-flags';
import { runHandler } from './run-handler';

interface SplitArgs extends DataFlags {
  subset?: Subset;
  json: boolean;
  shuffle: boolean;
}

export const splitCommand: CommandModule<object, SplitArgs> = {
  command: 'split',
  describe: "Print Keras' training/validation split of a folder (same files, same order as image_dataset_from_directory)",
  builder: (y: Argv) =>
    dataFlags(y)
      .option('subset', { type: 'string', describe: 'training, validation or both (default: both)' })
      .option('shuffle', { type: 'boolean', default: true, describe: 'Shuffle as Keras does (--no-shuffle keeps the sorted order)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print {"classNames", "training", "validation"} as JSON (Python json.dumps format)' })
      .example('$0 split --data-dir data/PetImages --seed 1337 --validation-split 0.2 --json', 'the split Keras makes, to diff with Python')
      .strict() as unknown as Argv<SplitArgs>,
  handler: runHandler('split', async (argv: SplitArgs) => {
    const split = argv['validation-split'] === 0 ? undefined : argv['validation-split'];
    const subset: Subset | undefined = split === undefined ? undefined : (argv.subset ?? 'both');
    const result = await indexDirectory(argv['data-dir'], {
      seed: argv.seed,
      ...(split !== undefined && { validationSplit: split, subset }),
      shuffle: argv.shuffle,
      ...(argv['class-names'] && { classNames: argv['class-names'] }),
      validate: argv.validate,
      ...(argv.exclude !== undefined && { exclude: argv.exclude }),
      ...(argv.report && { reportPath: argv.report }),
      log: argv.json ? logToStderr : (line) => process.stdout.write(`${line}\n`),
    });
    const showTraining = subset !== 'validation';
    const showValidation = subset === 'validation' || subset === 'both';
    if (argv.json) {
      const obj: Record<string, unknown> = { classNames: result.classNames };
      if (showTraining) obj['training'] = result.training.map(plain);
      if (showValidation) obj['validation'] = result.validation.map(plain);
      process.stdout.write(`${pythonJsonDumps(obj)}\n`);
      return;
    }
    const lines: string[] = [];
    const describe = (name: string, list: Entry[]) => {
      const counts = result.classNames.map((c, i) => `${c} ${list.filter((e) => e.label === i).length}`).join(', ');
      lines.push(`${name.padEnd(11)} ${String(list.length).padStart(7)} files (${counts}); first: ${list.slice(0, 3).map((e) => e.path).join(', ')}`);
    };
    if (showTraining) describe('training', result.training);
    if (showValidation) describe('validation', result.validation);
    lines.push('Pass --json for the full ordered lists.');
    process.stdout.write(`${lines.join('\n')}\n`);
  }),
};

const plain = (e: Entry) => ({ path: e.path, label: e.label });
