/**
 * Bounded retry across a NATS outage. While the server is down or restarting, JetStream
 * requests time out, find no responders, or get 503; the connection itself reconnects forever
 * (connection.ts). An operation is retried with a short backoff (100 ms doubling to 1 s) until
 * it succeeds or the outage budget is spent, then fails with SyncUnavailableError saying which
 * operation, which servers, how long and the last error. Anything not transient (a typed sync
 * error, a refused permission, a compare-and-swap conflict, a closed store) is thrown at once.
 */
import { AuthorizationError, ClosedConnectionError, ConnectionError, NoRespondersError, PermissionViolationError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { SyncError, SyncUnavailableError } from './errors.js';
import { notify, type SyncObserver, type SyncOp } from './observer.js';

const TRANSIENT_TEXT = /timeout|timed out|no responders|disconnect|not connected|connection (lost|refused|reset)|temporarily unavailable|jetstream not enabled|503|ECONNREFUSED|ECONNRESET|EPIPE/i;

/** JetStream rejected a write because the expected last revision did not match (KV CAS). */
export function isCasConflict(e: unknown): boolean {
  if (e instanceof JetStreamApiError && (e.code === 10071 || e.code === 10164)) return true;
  return e instanceof Error && /wrong last sequence/i.test(e.message);
}

/** True for errors an outage or a restarting server produces. */
export function isTransient(e: unknown): boolean {
  for (let c: unknown = e, i = 0; c instanceof Error && i < 5; c = c.cause, i++) {
    if (c instanceof SyncError || c instanceof AuthorizationError || c instanceof PermissionViolationError || c instanceof ClosedConnectionError) return false;
    if (isCasConflict(c)) return false;
    if (c instanceof TimeoutError || c instanceof NoRespondersError || c instanceof ConnectionError) return true;
    if (c instanceof JetStreamApiError) return c.status === 503 || c.status === 408;
    if (c instanceof RequestError) return true;
    if (TRANSIENT_TEXT.test(c.message)) return true;
  }
  return false;
}

export interface RetryContext {
  readonly op: SyncOp;
  readonly run?: string;
  readonly servers: string;
  /** Total time an operation may keep retrying, ms. */
  readonly budgetMs: number;
  readonly observer?: SyncObserver;
  /** Called before each attempt; throw to stop (e.g. the store was closed). */
  readonly check?: () => void;
  /** Called on each retried error (stats). */
  readonly onRetry?: () => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function withRetry<T>(ctx: RetryContext, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  let wait = 100;
  for (let attempt = 1; ; attempt++) {
    ctx.check?.();
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e)) throw e;
      const waited = performance.now() - t0;
      if (waited + wait > ctx.budgetMs) throw new SyncUnavailableError(ctx.run ? `${ctx.op} (run '${ctx.run}')` : ctx.op, ctx.servers, waited, e);
      ctx.onRetry?.();
      notify(ctx.observer, 'onRetry', { op: ctx.op, ...(ctx.run !== undefined ? { run: ctx.run } : {}), attempt, error: e as Error });
      await sleep(wait);
      wait = Math.min(1000, wait * 2);
    }
  }
}
