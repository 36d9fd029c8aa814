/**
 * `sfda`: parses the command line (lib/cli/args parseFlags, plus positional RUN arguments and
 * global flags before or after the command), prints help, runs the command and maps any error
 * to one line on stderr and an exit code (errors.ts). `runSfda` takes its I/O as an argument so
 * that tests can run commands in-process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, UsageError, usage, type FlagSpec } from '../../lib/cli/args.js';
import { repoRoot } from '../../lib/run/code-version.js';
import { COMMANDS, DEFAULT_DEADLINE_MS, type Command, type RunContext } from './commands.js';
import type { Connection } from './connection.js';
import { GLOBAL_FLAGS, readGlobals, resolveTarget, type Io } from './context.js';
import { describeError, EXIT, EXIT_HELP } from './errors.js';

function flagRows(flags: Record<string, FlagSpec>): string {
  return Object.entries(flags).map(([k, f]) => {
    const name = `--${k}${f.type === 'boolean' ? '' : ` <${f.type}>`}${f.short ? `, -${f.short}` : ''}`;
    const more = f.multiple ? ' (repeatable)' : '';
    const dflt = f.default === undefined || f.default === false ? '' : ` (default: ${f.default})`;
    return `  ${name.padEnd(30)} ${f.help}${more}${dflt}\n`;
  }).join('');
}

export function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const line = (c: Command) => `  ${c.name.padEnd(w)}${c.summary}\n`;
  const local = COMMANDS.filter((c) => c.name === 'up' || c.name === 'down');
  const runs = COMMANDS.filter((c) => !local.includes(c));
  return `sfda — control STvM source-free domain adaptation runs on the teacher, student and orchestrator services

Usage: sfda <command> [RUN] [flags]

Local stack:
${local.map(line).join('')}
Runs:
${runs.map(line).join('')}
Global flags (any command, before or after it):
${flagRows(GLOBAL_FLAGS)}  --help, -h                     help of sfda or of a command
  --version                      print the version

The orchestrator is --orchestrator HOST:PORT, else $SFDA_ORCHESTRATOR, else the local stack's
(stack.json in --state, written by 'sfda up'). The token is --token, else $SFDA_TOKEN, else the
local stack's.

${EXIT_HELP}

Examples:
  sfda up --detach
  sfda start --config configs/adapt/p0-stvm.json --watch
  sfda list
  sfda watch p0-stvm-20240501-120000
  sfda evaluate p0-stvm-20240501-120000 --limit 50
  sfda export p0-stvm-20240501-120000 --out models/p0.onnx
  sfda --orchestrator gpu-node-1:50063 --token "$SFDA_TOKEN" --tls-ca ca.pem list --json
  sfda down

Run 'sfda <command> --help' for a command's flags and examples.
`;
}

export function commandHelp(c: Command): string {
  const args = c.args.length ? `Arguments:\n${c.args.map((a) => `  ${a.name.padEnd(30)} ${a.help}${a.optional ? ' (optional)' : ''}`).join('\n')}\n` : '';
  const details = [c.details?.trim(), args.trim()].filter((s) => s).join('\n\n');
  let base = usage({
    name: `sfda ${c.name}`,
    summary: c.summary,
    synopsis: `sfda ${c.synopsis}`,
    ...(details ? { details } : {}),
    flags: c.flags,
  });
  base = base.replace('\nFlags:\n\n', '\nFlags:\n');
  const ex = c.examples.length ? `\nExamples:\n${c.examples.map((e) => `  ${e}`).join('\n')}\n` : '';
  return `${base}\nGlobal flags:\n${flagRows(GLOBAL_FLAGS)}${ex}
Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 not authenticated, 5 orchestrator
unreachable, 130 interrupted (the table: sfda --help).
`;
}

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Splits a command's arguments into flags (with their values) and positionals. */
export function splitArgs(flags: Record<string, FlagSpec>, argv: readonly string[]): { flagArgv: string[]; positionals: string[]; help: boolean } {
  const flagArgv: string[] = [];
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0]!;
      const spec = flags[name];
      if (spec && spec.type !== 'boolean' && !a.includes('=') && i + 1 < argv.length) {
        const v = argv[++i]!;
        // A value that starts with '-' is taken as such (parseArgs refuses it as ambiguous) for the
        // pass-through flags (--teacher-arg '--teacher.threads 4') and negative numbers.
        if (v.startsWith('-') && (name.endsWith('-arg') || /^-\d/.test(v))) flagArgv.push(`${a}=${v}`);
        else flagArgv.push(a, v);
      } else flagArgv.push(a);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      flagArgv.push(a);
      continue;
    }
    positionals.push(a);
  }
  return { flagArgv, positionals, help };
}

/** Runs `sfda argv…`; resolves with the exit code. */
export async function runSfda(argv: readonly string[], io: Io): Promise<number> {
  // Global flags may come before the command.
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    if (a === '--help' || a === '-h') {
      io.out(topHelp());
      return EXIT.OK;
    }
    if (a === '--version') {
      io.out(`sfda ${version()}\n`);
      return EXIT.OK;
    }
    leading.push(a);
    const spec = GLOBAL_FLAGS[a.slice(2).split('=')[0]!];
    if (spec && spec.type !== 'boolean' && !a.includes('=') && i + 1 < argv.length) leading.push(argv[++i]!);
  }
  const name = argv[i];
  const rest = [...leading, ...argv.slice(i + 1)];
  if (name === 'help') {
    const target = rest.find((a) => !a.startsWith('-'));
    const c = COMMANDS.find((x) => x.name === target);
    if (target !== undefined && !c) return fail(new UsageError(`unknown command '${target}' (commands: ${COMMANDS.map((x) => x.name).join(', ')})`), io);
    io.out(c ? commandHelp(c) : topHelp());
    return EXIT.OK;
  }
  if (name === undefined) {
    io.err(`sfda: a command is missing\n\nUsage: sfda <command> [RUN] [flags]\ncommands: ${COMMANDS.map((c) => c.name).join(', ')}\n(see 'sfda --help')\n`);
    return EXIT.USAGE;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    return fail(new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`), io);
  }
  let conn: Connection | undefined;
  try {
    const merged = { ...cmd.flags, ...GLOBAL_FLAGS };
    const { flagArgv, positionals, help } = splitArgs(merged, rest);
    if (help) {
      io.out(commandHelp(cmd));
      return EXIT.OK;
    }
    const flags = parseFlags({ name: `sfda ${cmd.name}`, summary: cmd.summary, flags: merged }, flagArgv)!;
    const required = cmd.args.filter((a) => !a.optional);
    if (positionals.length < required.length) throw new UsageError(`${required[positionals.length]!.name} is missing: ${required[positionals.length]!.help} (usage: sfda ${cmd.synopsis})`);
    if (positionals.length > cmd.args.length) throw new UsageError(`unexpected argument '${positionals[cmd.args.length]}' (usage: sfda ${cmd.synopsis})`);
    for (const p of positionals) if (p.trim() === '') throw new UsageError(`${cmd.args[0]?.name ?? 'argument'} is empty`);
    const globals = readGlobals(flags, io.cwd);
    const ctx: RunContext = {
      io, flags, globals, args: positionals,
      async connect(defaultDeadlineMs = DEFAULT_DEADLINE_MS) {
        if (conn) return conn;
        const target = resolveTarget(globals, io.env);
        // gRPC is loaded only by the commands that talk to the orchestrator.
        const { Connection } = await import('./connection.js');
        conn = new Connection(target, globals.timeoutMs ?? defaultDeadlineMs);
        return conn;
      },
    };
    return await cmd.run(ctx);
  } catch (e) {
    return fail(e, io, cmd.name);
  } finally {
    conn?.close();
  }
}

function fail(e: unknown, io: Io, command?: string): number {
  const { exitCode, message } = describeError(e, command);
  io.err(`error: ${message}\n`);
  return exitCode;
}
