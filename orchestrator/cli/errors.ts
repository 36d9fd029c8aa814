/**
 * Exit codes of `sfda` and the mapping of errors to them: one clear line, no stack trace.
 *
 *   0  ok (watch: the run FINISHED)
 *   1  other failure (watch: the run FAILED or was STOPPED)
 *   2  usage error, or a request the orchestrator rejected as invalid (INVALID_ARGUMENT)
 *   3  not found (NOT_FOUND; `down`: no local stack)
 *   4  not authenticated / not permitted (UNAUTHENTICATED, PERMISSION_DENIED)
 *   5  orchestrator unreachable (nothing answers at the address, no address known)
 *   130 interrupted (Ctrl-C while watching or following logs)
 */
import { UsageError } from '../../lib/cli/args.js';

// gRPC status codes, here rather than from @grpc/grpc-js so that `sfda --help` and the local
// stack commands start without loading gRPC (connection.ts loads it on demand).
const CODE_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'] as const;
export const status = Object.fromEntries(CODE_NAMES.map((n, i) => [n, i])) as { readonly [K in (typeof CODE_NAMES)[number]]: number };

export function statusName(code: number): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/** An error from a gRPC call (numeric code, string details), as lib/services/grpc isServiceError. */
export function isServiceError(err: unknown): err is Error & { code: number; details: string } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; details?: unknown };
  return typeof e.code === 'number' && Number.isInteger(e.code) && e.code > 0 && e.code <= 16 && typeof e.details === 'string';
}

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  AUTH: 4,
  UNREACHABLE: 5,
  INTERRUPTED: 130,
} as const;

/** The exit-code table as printed by `sfda --help`. */
export const EXIT_HELP = `Exit codes:
  0    ok (watch: the run FINISHED)
  1    failure (watch: the run FAILED or was STOPPED; any other error)
  2    usage error: unknown command or flag, bad or missing value, or a request the
       orchestrator rejected as invalid (INVALID_ARGUMENT, e.g. a bad config field)
  3    not found: no such run (NOT_FOUND); down: no local stack in the state directory
  4    not authenticated or not permitted (UNAUTHENTICATED, PERMISSION_DENIED): check --token
  5    orchestrator unreachable: nothing answers at the address, no address is known, or the
       local stack in the state directory is not running
  130  interrupted (Ctrl-C while watching a run or following its log)`;

/** An error with the exit code and the one message the CLI prints for it. */
export class CliError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

/**
 * A failed gRPC call as a CliError. `connected` says whether the channel had reached the
 * orchestrator: UNAVAILABLE / DEADLINE_EXCEEDED before that means unreachable (5); after it,
 * the orchestrator itself answered (e.g. a dependency of its own is down): a failure (1).
 */
export function rpcError(err: unknown, address: string, connected: boolean): CliError {
  if (!isServiceError(err)) return new CliError(EXIT.FAILURE, err instanceof Error ? err.message : String(err));
  const details = oneLine(err.details || statusName(err.code));
  switch (err.code) {
    case status.NOT_FOUND: return new CliError(EXIT.NOT_FOUND, details);
    case status.UNAUTHENTICATED: return new CliError(EXIT.AUTH, `not authenticated: ${details} (pass --token or set SFDA_TOKEN)`);
    case status.PERMISSION_DENIED: return new CliError(EXIT.AUTH, `permission denied: ${details}`);
    case status.INVALID_ARGUMENT: return new CliError(EXIT.USAGE, `invalid request: ${details}`);
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      if (!connected) return new CliError(EXIT.UNREACHABLE, `orchestrator at ${address} unreachable (${statusName(err.code)}: ${details})`);
      return new CliError(EXIT.FAILURE, `${details} (${statusName(err.code)}${err.code === status.DEADLINE_EXCEEDED ? '; a longer --timeout may help' : ''})`);
    case status.CANCELLED: return new CliError(EXIT.INTERRUPTED, `cancelled: ${details}`);
    default: return new CliError(EXIT.FAILURE, `${details} (${statusName(err.code)})`);
  }
}

/** The exit code and the message lines to print for anything thrown by a command. */
export function describeError(err: unknown, command?: string): { exitCode: number; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof UsageError || (err instanceof Error && (err.name === 'UsageError' || err.name === 'ConfigError'))) {
    // parseFlags appends the whole usage text after a blank line: keep the first paragraph.
    const first = oneLine(err.message.split('\n\n')[0]!);
    const hint = command ? `sfda ${command} --help` : 'sfda --help';
    return { exitCode: EXIT.USAGE, message: `${first}\n(see '${hint}')` };
  }
  if (isServiceError(err)) return { exitCode: EXIT.FAILURE, message: `${oneLine(err.details)} (${statusName(err.code)})` };
  const e = err as Error;
  if (process.env['SFDA_DEBUG']) return { exitCode: EXIT.FAILURE, message: e?.stack ?? String(err) };
  return { exitCode: EXIT.FAILURE, message: e instanceof Error ? e.message : String(err) };
}
