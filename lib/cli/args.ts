/**
 * Command-line parsing for the project's commands: typed flags with help text, built on
 * node:util parseArgs. `--help` (or `-h`) prints the usage; an unknown flag or a bad value is
 * an error that names the flag.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  short?: string;
  /** type 'string' only: the flag may be given several times; its parsed value is a string[]
   * (in command-line order), or undefined when the flag is absent (no default). */
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** the text after "Usage: " (default: `<name> [flags]`) */
  synopsis?: string;
  /** free-text help printed after the usage line, before the flags: a long description, listings */
  details?: string;
  examples?: string[];
}

/** A repeatable string flag parses to string[]; the others to one value (or their default). */
export type FlagValue = string | number | boolean | string[] | undefined;
export type ParsedFlags = Record<string, FlagValue>;

export function usage(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([k, f]) => {
    const name = `--${k}${f.type === 'boolean' ? '' : ` <${f.type}>`}${f.short ? `, -${f.short}` : ''}`;
    const more = f.multiple ? ' (repeatable)' : '';
    const dflt = f.default === undefined ? '' : ` (default: ${f.default})`;
    return `  ${name.padEnd(30)} ${f.help}${more}${dflt}`;
  });
  const details = spec.details ? `${spec.details.replace(/\n+$/, '')}\n\n` : '';
  const ex = spec.examples?.length ? `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n` : '';
  const help = helpShort(spec) ? '--help, -h' : '--help';
  return `${spec.name} — ${spec.summary}\n\nUsage: ${spec.synopsis ?? `${spec.name} [flags]`}\n\n${details}Flags:\n${rows.join('\n')}\n  ${help.padEnd(30)} show this help\n${ex}`;
}

/** `-h` means --help unless the command gives it to one of its flags. */
function helpShort(spec: CommandSpec): boolean {
  return !Object.values(spec.flags).some((f) => f.short === 'h');
}

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

/** Parses argv; returns undefined after printing help when --help is given. */
export function parseFlags(spec: CommandSpec, argv: string[] = process.argv.slice(2)): ParsedFlags | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', ...(helpShort(spec) ? { short: 'h' } : {}) },
  };
  for (const [k, f] of Object.entries(spec.flags)) {
    if (f.multiple && (f.type !== 'string' || f.default !== undefined)) throw new Error(`flag --${k}: 'multiple' is only for string flags without a default`);
    options[k] = { type: f.type === 'boolean' ? 'boolean' : 'string', ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<string, string | boolean | string[] | undefined>;
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

export interface RunMainOptions {
  /** exit status after a UsageError (default 1) */
  usageExitCode?: number;
  /** exit status after any other error (default 1) */
  errorExitCode?: number;
}

/** Runs a CLI main, printing errors without a stack trace for usage/config errors. */
export function runMain(main: () => Promise<void>, opts: RunMainOptions = {}): void {
  main().catch((e: unknown) => {
    const err = e as Error;
    const expected = ['UsageError', 'ConfigError', 'DatasetError'].includes(err.name);
    process.stderr.write(`error: ${expected ? err.message : err.stack ?? err.message}\n`);
    process.exitCode = err.name === 'UsageError' ? opts.usageExitCode ?? 1 : opts.errorExitCode ?? 1;
  });
}
