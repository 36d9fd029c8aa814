/**
 * What every `sfda` command gets: its I/O (injectable, so tests run commands in-process), the
 * global flags, and a lazily made connection to the orchestrator.
 *
 * The orchestrator is found in this order: --orchestrator HOST:PORT, $SFDA_ORCHESTRATOR, the
 * local stack's stack.json in --state (default .sfda/). The token: --token, $SFDA_TOKEN, the
 * local stack's (only when the address came from its stack.json). TLS: --tls-ca (server CA),
 * --tls-cert + --tls-key (client certificate, mutual TLS), --tls-server-name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type FlagSpec, type ParsedFlags } from '../../lib/cli/args.js';
import type { ClientTlsFiles } from '../../lib/services/grpc/credentials.js';
import { pidAlive, readStack } from '../../lib/services/local/stack-file.js';
import { CliError, EXIT } from './errors.js';

export interface Io {
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** stderr is a terminal (progress bars redraw in place). */
  readonly errIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
}

/** The flags every command takes. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  orchestrator: { type: 'string', help: 'orchestrator address HOST:PORT (default: $SFDA_ORCHESTRATOR, else the local stack in --state)' },
  state: { type: 'string', default: '.sfda', help: 'state directory of the local stack: stack.json, logs/, the NATS store' },
  token: { type: 'string', help: 'bearer token (default: $SFDA_TOKEN, else the local stack\'s); for `up`: the token the stack requires' },
  'tls-ca': { type: 'string', help: 'PEM CA bundle that signs the orchestrator\'s certificate (turns TLS on)' },
  'tls-cert': { type: 'string', help: 'PEM client certificate for mutual TLS (with --tls-key)' },
  'tls-key': { type: 'string', help: 'PEM private key of --tls-cert' },
  'tls-server-name': { type: 'string', help: 'name to verify the orchestrator\'s certificate against (default: the address host)' },
  timeout: { type: 'number', help: 'deadline of each call in seconds (default 30; evaluate and export: none)' },
  json: { type: 'boolean', default: false, help: 'machine output on stdout: one JSON object or array per command' },
};

export interface Globals {
  orchestrator?: string;
  state: string;
  token?: string;
  tls?: ClientTlsFiles;
  /** Call deadline in ms (undefined: the command's default). */
  timeoutMs?: number;
  json: boolean;
}

export function readGlobals(f: ParsedFlags, cwd: string): Globals {
  const str = (k: string) => (typeof f[k] === 'string' ? f[k] as string : undefined);
  const file = (k: string): string | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const p = path.resolve(cwd, v);
    if (!fs.existsSync(p)) throw new UsageError(`--${k}: file ${v} does not exist`);
    return p;
  };
  const ca = file('tls-ca');
  const cert = file('tls-cert');
  const key = file('tls-key');
  const serverName = str('tls-server-name');
  if (!!cert !== !!key) throw new UsageError(`--${cert ? 'tls-key' : 'tls-cert'} is missing: a client certificate needs both --tls-cert and --tls-key`);
  const tls = ca || cert || serverName ? { ...(ca ? { ca } : {}), ...(cert ? { cert, key: key! } : {}), ...(serverName ? { serverName } : {}) } : undefined;
  const timeout = f['timeout'];
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) throw new UsageError(`--timeout: expected a positive number of seconds, got '${String(timeout)}'`);
  return {
    ...(str('orchestrator') !== undefined ? { orchestrator: str('orchestrator')! } : {}),
    state: path.resolve(cwd, str('state') ?? '.sfda'),
    ...(str('token') !== undefined ? { token: str('token')! } : {}),
    ...(tls ? { tls } : {}),
    ...(typeof timeout === 'number' ? { timeoutMs: Math.round(timeout * 1000) } : {}),
    json: f['json'] === true,
  };
}

export interface Target {
  address: string;
  token?: string;
  tls?: ClientTlsFiles;
  /** Where the address came from. */
  from: 'flag' | 'env' | 'stack';
}

function checkAddress(address: string, source: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(address) && !/^(dns|unix|ipv4|ipv6):/.test(address)) {
    throw new UsageError(`${source}: expected HOST:PORT, got '${address}'`);
  }
  return address;
}

/** Where the orchestrator is and how to authenticate (see the module comment). */
export function resolveTarget(g: Globals, env: NodeJS.ProcessEnv): Target {
  const envToken = env['SFDA_TOKEN'] || undefined;
  const common = { ...(g.tls ? { tls: g.tls } : {}) };
  if (g.orchestrator !== undefined) {
    const token = g.token ?? envToken;
    return { address: checkAddress(g.orchestrator, '--orchestrator'), ...(token ? { token } : {}), ...common, from: 'flag' };
  }
  const fromEnv = env['SFDA_ORCHESTRATOR'];
  if (fromEnv) {
    const token = g.token ?? envToken;
    return { address: checkAddress(fromEnv, 'SFDA_ORCHESTRATOR'), ...(token ? { token } : {}), ...common, from: 'env' };
  }
  const stack = readStack(g.state);
  if (!stack) {
    throw new CliError(EXIT.UNREACHABLE, `no orchestrator address: pass --orchestrator HOST:PORT, set SFDA_ORCHESTRATOR, or start a local stack with 'sfda up' (no stack.json in ${g.state})`);
  }
  if (!pidAlive(stack.supervisor.pid)) {
    throw new CliError(EXIT.UNREACHABLE, `the local stack in ${g.state} is not running (its supervisor, pid ${stack.supervisor.pid}, is gone; stale stack.json): start it with 'sfda up'`);
  }
  const token = g.token ?? envToken ?? stack.token;
  return { address: stack.orchestrator.grpc, ...(token ? { token } : {}), ...common, from: 'stack' };
}
