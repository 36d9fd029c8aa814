/**
 * The NATS connection of the weight sync (nats.js v3, `@nats-io/transport-node`): reconnects
 * forever (maxReconnectAttempts −1) with a short wait, so a restarted nats-server is survived
 * without the services restarting; optional credentials (user/password, token, or a .creds
 * file for JWT/NKey accounts). A refused login becomes SyncAuthError and an unreachable server
 * at open time SyncUnavailableError, both with the server list in the message.
 *
 * Why v3 and not `nats` 2.29: see weight-store.ts (measured: the object store is several times
 * faster with v3's node:crypto SHA-256).
 */
import fs from 'node:fs';
import { AuthorizationError, connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { SyncAuthError, SyncError, SyncUnavailableError } from './errors.js';

export interface NatsCredentials {
  user?: string;
  pass?: string;
  token?: string;
  /** Path of a NATS .creds file (JWT + NKey seed). */
  credsFile?: string;
}

export interface SyncConnectionOptions extends NatsCredentials {
  /** nats://host:port, or several for a cluster. */
  servers: string | readonly string[];
  /** Client name shown by the server (e.g. 'student-0', 'teacher'). */
  name: string;
  /** Pause between reconnect attempts, ms (default 250). */
  reconnectTimeWaitMs?: number;
  /** Timeout of the first connection attempt, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Keep trying the first connection instead of failing when no server answers (default false). */
  waitOnFirstConnect?: boolean;
}

export function serversText(servers: string | readonly string[]): string {
  return typeof servers === 'string' ? servers : servers.join(',');
}

function isAuthError(e: unknown): boolean {
  for (let c: unknown = e, i = 0; c instanceof Error && i < 5; c = c.cause, i++) {
    if (c instanceof AuthorizationError || /authoriz|authentication/i.test(c.message)) return true;
  }
  return false;
}

export function natsConnectionOptions(o: SyncConnectionOptions): ConnectionOptions {
  const auth = [o.user !== undefined || o.pass !== undefined, o.token !== undefined, o.credsFile !== undefined].filter(Boolean).length;
  if (auth > 1) throw new SyncError('INVALID_ARGUMENT', 'NATS credentials: give one of user/pass, token or credsFile');
  const opts: ConnectionOptions = {
    servers: typeof o.servers === 'string' ? o.servers : [...o.servers],
    name: o.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: o.reconnectTimeWaitMs ?? 250,
    timeout: o.connectTimeoutMs ?? 5000,
    waitOnFirstConnect: o.waitOnFirstConnect ?? false,
  };
  if (o.user !== undefined || o.pass !== undefined) { opts.user = o.user ?? ''; opts.pass = o.pass ?? ''; }
  if (o.token !== undefined) opts.token = o.token;
  if (o.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = fs.readFileSync(o.credsFile);
    } catch (e) {
      throw new SyncError('INVALID_ARGUMENT', `NATS credentials: cannot read creds file ${o.credsFile}: ${(e as Error).message}`);
    }
    opts.authenticator = credsAuthenticator(creds);
  }
  return opts;
}

/** Connects, mapping a refused login to SyncAuthError and no server to SyncUnavailableError. */
export async function connectNats(o: SyncConnectionOptions): Promise<NatsConnection> {
  const opts = natsConnectionOptions(o);
  const t0 = performance.now();
  try {
    return await connect(opts);
  } catch (e) {
    if (isAuthError(e)) throw new SyncAuthError(serversText(o.servers), e);
    throw new SyncUnavailableError('connect', serversText(o.servers), performance.now() - t0, e);
  }
}
