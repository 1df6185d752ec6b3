import { EXIT, classifyError, isTypedError, usageFailure } from '../src';

class DataError extends Error {
  override readonly name = 'DataError';
  constructor(readonly code: string, message: string, readonly path?: string) { super(message); }
}

test('a usage error is one line naming the flag, then exit 2', () => {
  let written = '';
  let code: number | undefined;
  const fail = usageFailure('pawpipe-loader', ((c: number) => { code = c; return undefined as never; }), (s) => { written += s; return true; });
  fail('Invalid values:\n  Argument: augment, Given: "gpu"', undefined);
  expect(written).toBe('pawpipe-loader: Invalid values: Argument: augment, Given: "gpu" (see --help)\n');
  expect(code).toBe(EXIT.usage);
  written = '';
  fail(null, new Error('--window must be an integer in [1, 1024]'));
  expect(written).toBe('pawpipe-loader: --window must be an integer in [1, 1024] (see --help)\n');
});

test("a package's typed error is its one line and exit 2; its path is added when the message lacks it", () => {
  expect(isTypedError(new DataError('no-classes', 'x'))).toBe(true);
  expect(isTypedError(Object.assign(new Error('plain'), { code: 'ENOENT' }))).toBe(false); // a Node error: a bug here
  expect(classifyError(new DataError('no-classes', 'no class folders', '/data'))).toEqual({ code: 2, line: 'no class folders (/data)' });
  expect(classifyError(new DataError('no-classes', 'no class folders in /data', '/data'))).toEqual({ code: 2, line: 'no class folders in /data' });
});

test('anything else is a bug: its stack and exit 1; an app decides its own cases first', () => {
  const bug = classifyError(new TypeError('x is undefined'));
  expect(bug.code).toBe(EXIT.unexpected);
  expect(bug.line).toMatch(/^unexpected error: TypeError: x is undefined\n\s+at /);
  const refused = classifyError(new DataError('rejected', 'wrong size'), (e) => (isTypedError(e) && e.code === 'rejected' ? { code: 4, line: `refused: ${e.message}` } : undefined));
  expect(refused).toEqual({ code: 4, line: 'refused: wrong size' });
});
