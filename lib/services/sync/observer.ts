/**
 * What the weight store reports, for metrics: a callback interface (SyncObserver) and the
 * cumulative counters the store keeps (SyncStats). A Prometheus module implements the
 * observer (counters for bytes and failures, histograms for latency, a gauge for the head
 * version) without this folder depending on prom-client. Observer exceptions are swallowed:
 * metrics never break a sync.
 */

export type SyncOp = 'open' | 'publish' | 'pull' | 'head' | 'waitFor' | 'gc' | 'deleteRun';

export interface TransferEvent {
  readonly run: string;
  readonly version: number;
  /** Payload bytes (header + tensor bytes). */
  readonly bytes: number;
  /** Wall time of the whole operation, seconds. */
  readonly seconds: number;
  /** weightsDigest of the tensors. */
  readonly digest: string;
}

export interface FailureEvent {
  readonly op: SyncOp;
  readonly run?: string;
  /** The error's `code` when it is a SyncError, else 'ERROR'. */
  readonly code: string;
  readonly error: Error;
}

export interface ConnectionEvent {
  /** NATS client status type: 'disconnect' | 'reconnect' | 'reconnecting' | 'error' | … */
  readonly type: string;
  readonly server?: string;
}

export interface SyncObserver {
  onPublish?(e: TransferEvent): void;
  onPull?(e: TransferEvent): void;
  onFailure?(e: FailureEvent): void;
  onConnection?(e: ConnectionEvent): void;
  /** A transient error that the store is retrying (NATS outage). */
  onRetry?(e: { op: SyncOp; run?: string; attempt: number; error: Error }): void;
}

export interface SyncStats {
  publishes: number;
  pulls: number;
  bytesPublished: number;
  bytesPulled: number;
  publishSecondsTotal: number;
  pullSecondsTotal: number;
  lastPublishSeconds: number;
  lastPullSeconds: number;
  failures: number;
  retries: number;
  disconnects: number;
  reconnects: number;
}

export function emptyStats(): SyncStats {
  return {
    publishes: 0, pulls: 0, bytesPublished: 0, bytesPulled: 0, publishSecondsTotal: 0, pullSecondsTotal: 0,
    lastPublishSeconds: 0, lastPullSeconds: 0, failures: 0, retries: 0, disconnects: 0, reconnects: 0,
  };
}

/** Calls observer?.[method](event), ignoring anything it throws. */
export function notify<K extends keyof SyncObserver>(o: SyncObserver | undefined, method: K, event: Parameters<NonNullable<SyncObserver[K]>>[0]): void {
  const f = o?.[method] as ((e: unknown) => void) | undefined;
  if (!f) return;
  try { f.call(o, event); } catch { /* metrics must not break the sync */ }
}
