/**
 * Command-line parsing for the project's commands: typed flags with help text, built on
 * node:util parseArgs. `--help` prints the usage; an unknown flag or a bad value is an error
 * that names the flag.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  short?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  examples?: string[];
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export function usage(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([k, f]) => {
    const name = `--${k}${f.type === 'boolean' ? '' : ` <${f.type}>`}${f.short ? `, -${f.short}` : ''}`;
    const dflt = f.default === undefined ? '' : ` (default: ${f.default})`;
    return `  ${name.padEnd(30)} ${f.help}${dflt}`;
  });
  const ex = spec.examples?.length ? `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n` : '';
  return `${spec.name} — ${spec.summary}\n\nUsage: ${spec.name} [flags]\n\nFlags:\n${rows.join('\n')}\n  --help                         show this help\n${ex}`;
}

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

/** Parses argv; returns undefined after printing help when --help is given. */
export function parseFlags(spec: CommandSpec, argv: string[] = process.argv.slice(2)): ParsedFlags | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean' } };
  for (const [k, f] of Object.entries(spec.flags)) options[k] = { type: f.type === 'boolean' ? 'boolean' : 'string', ...(f.short ? { short: f.short } : {}) };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage(spec)}`);
  }
  if (values.help) {
    process.stdout.write(usage(spec));
    return undefined;
  }
  const out: ParsedFlags = {};
  for (const [k, f] of Object.entries(spec.flags)) {
    const v = values[k];
    if (v === undefined) out[k] = f.default;
    else if (f.type === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--${k}: expected a number, got '${v}'`);
      out[k] = n;
    } else out[k] = v;
  }
  return out;
}

/** Runs a CLI main, printing errors without a stack trace for usage/config errors. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    const err = e as Error;
    const expected = ['UsageError', 'ConfigError', 'DatasetError'].includes(err.name);
    process.stderr.write(`error: ${expected ? err.message : err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
