/**
 * Typed errors of the weight-snapshot sync. Every one names the run (and version where one is
 * known) and says what went wrong, so a log line or a failed RPC is actionable on its own.
 * Callers branch on the class (`instanceof`) or on `code`; none of these is retried by the
 * store itself except where noted in weight-store.ts.
 */

export type SyncErrorCode =
  | 'STALE_VERSION' | 'SNAPSHOT_CORRUPT' | 'SYNC_UNAVAILABLE' | 'SYNC_AUTH' | 'WAIT_TIMEOUT'
  | 'STALENESS_EXCEEDED' | 'INVALID_ARGUMENT' | 'STORE_CLOSED';

export class SyncError extends Error {
  constructor(readonly code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncError';
  }
}

/** A publish whose version is not newer than the run's current head. */
export class StaleVersionError extends SyncError {
  constructor(readonly run: string, readonly version: number, readonly headVersion: number) {
    super('STALE_VERSION', `stale version: run '${run}' cannot publish v${version}, the head is already at v${headVersion} (versions must increase)`);
    this.name = 'StaleVersionError';
  }
}

/**
 * A snapshot that cannot be trusted: checksum mismatch, truncated or malformed payload, a
 * header that disagrees with the head pointer, or a missing object. The caller keeps its
 * previous weights.
 */
export class SnapshotCorruptError extends SyncError {
  constructor(readonly run: string | undefined, readonly version: number | undefined, readonly what: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_CORRUPT', `corrupt weight snapshot (run '${run ?? '?'}', v${version ?? '?'}): ${what}`, options);
    this.name = 'SnapshotCorruptError';
  }
}

/** NATS unreachable (or JetStream not answering) for longer than the store's outage budget. */
export class SyncUnavailableError extends SyncError {
  constructor(readonly op: string, readonly servers: string, readonly waitedMs: number, cause: unknown) {
    super('SYNC_UNAVAILABLE', `${op}: NATS at ${servers} not available after ${Math.round(waitedMs)} ms (last error: ${errText(cause)})`, { cause });
    this.name = 'SyncUnavailableError';
  }
}

/** The server refused the connection's credentials (or none were given). */
export class SyncAuthError extends SyncError {
  constructor(readonly servers: string, cause: unknown) {
    super('SYNC_AUTH', `NATS at ${servers} refused the connection: ${errText(cause)} — pass user/pass, token or a creds file`, { cause });
    this.name = 'SyncAuthError';
  }
}

/** waitFor: the head did not reach the requested version in time. */
export class WaitTimeoutError extends SyncError {
  constructor(readonly run: string, readonly minVersion: number, readonly timeoutMs: number, readonly headVersion: number | undefined) {
    super('WAIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for run '${run}' to reach v${minVersion} (head: ${headVersion === undefined ? 'none' : `v${headVersion}`})`);
    this.name = 'WaitTimeoutError';
  }
}

export function errText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
