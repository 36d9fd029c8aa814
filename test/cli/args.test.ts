/**
 * lib/cli/args.ts: repeatable string flags, free-text help sections (synopsis, details), -h,
 * and the exit status runMain gives usage errors.
 */
import assert from 'node:assert/strict';
import { parseFlags, runMain, usage, UsageError, type CommandSpec } from '../../lib/cli/args.js';

const SPEC: CommandSpec = {
  name: 'tool',
  summary: 'does things',
  flags: {
    prefix: { type: 'string', multiple: true, help: 'a name prefix' },
    n: { type: 'number', default: 3, help: 'a count' },
  },
};

/** Runs fn with process.stdout.write captured; returns fn's value and what was written. */
function captureStdout<T>(fn: () => T): { value: T; out: string } {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    return { value: fn(), out };
  } finally {
    process.stdout.write = write;
  }
}

describe('cli/args', () => {
  it('a repeatable flag parses to a string[] in command-line order, undefined when absent', () => {
    assert.deepEqual(parseFlags(SPEC, ['--prefix', 'a', '--n', '5', '--prefix', 'b']), { prefix: ['a', 'b'], n: 5 });
    assert.deepEqual(parseFlags(SPEC, ['--prefix=x']), { prefix: ['x'], n: 3 });
    assert.deepEqual(parseFlags(SPEC, []), { prefix: undefined, n: 3 });
    // a single-valued flag given twice keeps the last value, as before
    assert.deepEqual(parseFlags(SPEC, ['--n', '1', '--n', '2']), { prefix: undefined, n: 2 });
  });

  it("'multiple' is refused on a non-string flag or with a default", () => {
    assert.throws(() => parseFlags({ ...SPEC, flags: { n: { type: 'number', multiple: true, help: '' } } }, []), /'multiple' is only for string flags/);
    assert.throws(() => parseFlags({ ...SPEC, flags: { s: { type: 'string', multiple: true, default: 'a', help: '' } } }, []), /without a default/);
  });

  it('usage prints synopsis and details after the summary, before the flags; marks repeatable flags', () => {
    const text = usage({ ...SPEC, synopsis: 'tool --prefix P... [flags]', details: 'Long description.\n\nLayouts:\n  a  b\n' });
    assert.match(text, /^tool — does things\n\nUsage: tool --prefix P\.\.\. \[flags\]\n\nLong description\.\n\nLayouts:\n {2}a {2}b\n\nFlags:\n/);
    assert.match(text, /--prefix <string> +a name prefix \(repeatable\)\n/);
    assert.match(text, /--n <number> +a count \(default: 3\)\n/);
    // without synopsis/details: the plain form
    assert.match(usage(SPEC), /^tool — does things\n\nUsage: tool \[flags\]\n\nFlags:\n/);
  });

  it('-h prints the help unless a flag owns -h', () => {
    const { value, out } = captureStdout(() => parseFlags(SPEC, ['-h']));
    assert.equal(value, undefined);
    assert.match(out, /--help, -h +show this help/);
    const own: CommandSpec = { ...SPEC, flags: { host: { type: 'string', short: 'h', help: 'host' } } };
    assert.deepEqual(parseFlags(own, ['-h', 'x']), { host: 'x' });
    assert.doesNotMatch(usage(own), /--help, -h/);
  });

  it('an unknown flag is a UsageError carrying the usage', () => {
    assert.throws(() => parseFlags(SPEC, ['--nope']), (e: Error) => e instanceof UsageError && /Unknown option '--nope'/.test(e.message) && /Flags:/.test(e.message));
  });

  it('runMain: usage errors exit 1 by default, or the status the command chooses', async () => {
    const saved = process.exitCode;
    const write = process.stderr.write;
    let err = '';
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    const codes: (number | string | undefined)[] = [];
    try {
      for (const [opts, e] of [
        [undefined, new UsageError('bad flag')],
        [{ usageExitCode: 2 }, new UsageError('bad flag')],
        [{ usageExitCode: 2 }, new Error('boom')],
        [{ usageExitCode: 2, errorExitCode: 3 }, new Error('boom')],
      ] as const) {
        process.exitCode = undefined;
        runMain(() => Promise.reject(e), opts);
        await settle();
        codes.push(process.exitCode);
      }
    } finally {
      process.stderr.write = write;
      process.exitCode = saved;
    }
    assert.deepEqual(codes, [1, 2, 1, 3]);
    assert.match(err, /^error: bad flag\n/);
  });
});
