/**
 * EMA weights synchronisation (student → NATS → teacher) and the weights versions, exported by
 * every component from its own side (the `component` label tells them apart):
 *   sfda_weights_sync_bytes_total              counter: weight bytes published (student) or fetched (teacher)
 *   sfda_weights_sync_seconds                  histogram: one publish, or one fetch + verify + EMA apply
 *   sfda_weights_sync_failures_total{reason}   counter: reason ∈ corrupt | stale | timeout | unavailable
 *   sfda_weights_staleness_steps               gauge: student step − teacher version (the bound the orchestrator enforces)
 *   sfda_weights_teacher_version               gauge: EMA version the teacher serves (student step last folded in; 0 = source)
 *   sfda_weights_published_version             gauge: latest student step whose weights were published
 * The versions are exported because "new weights never arrived" is the classic failure of a
 * split learner/actor system: a flat teacher version next to a rising published one shows it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TRANSFER_BUCKETS_SECONDS } from './buckets.js';

/** Why a sync failed: a bounded set, so the label stays low-cardinality. */
export const SYNC_FAILURE_REASONS = ['corrupt', 'stale', 'timeout', 'unavailable'] as const;
export type SyncFailureReason = (typeof SYNC_FAILURE_REASONS)[number];

export interface WeightsSyncMetrics {
  bytes: Counter;
  seconds: Histogram;
  failures: Counter<'reason'>;
  staleness: Gauge;
  teacherVersion: Gauge;
  publishedVersion: Gauge;
  /** Counts one failed sync; an unknown reason is a programming error (throws). */
  recordFailure(reason: SyncFailureReason): void;
}

export function createWeightsSyncMetrics(registry: Registry): WeightsSyncMetrics {
  const registers = [registry];
  const failures = new Counter({
    name: 'sfda_weights_sync_failures_total',
    help: 'Failed EMA weight synchronisations, by reason: corrupt (digest or size mismatch), stale (an older version than the one applied), timeout, unavailable (NATS or the peer unreachable).',
    labelNames: ['reason'] as const,
    registers,
  });
  // every reason exported from the start, so rate() and alerts see 0 rather than no series
  for (const reason of SYNC_FAILURE_REASONS) failures.inc({ reason }, 0);
  return {
    bytes: new Counter({
      name: 'sfda_weights_sync_bytes_total',
      help: 'Bytes of EMA weight snapshots this component moved through NATS (published by the student, fetched by the teacher).',
      registers,
    }),
    seconds: new Histogram({
      name: 'sfda_weights_sync_seconds',
      help: 'Duration of one weights synchronisation: a publish (student) or a fetch, verification and EMA application (teacher).',
      buckets: [...TRANSFER_BUCKETS_SECONDS],
      registers,
    }),
    failures,
    staleness: new Gauge({
      name: 'sfda_weights_staleness_steps',
      help: 'Student step minus the teacher weights version: how many student steps the teacher lags behind.',
      registers,
    }),
    teacherVersion: new Gauge({
      name: 'sfda_weights_teacher_version',
      help: 'EMA weights version the teacher serves: the student step last folded into the EMA (0 = the source model).',
      registers,
    }),
    publishedVersion: new Gauge({
      name: 'sfda_weights_published_version',
      help: 'Latest student step whose weights were published for the teacher.',
      registers,
    }),
    recordFailure(reason) {
      if (!(SYNC_FAILURE_REASONS as readonly string[]).includes(reason)) throw new Error(`unknown weights sync failure reason '${reason}' (expected ${SYNC_FAILURE_REASONS.join(' | ')})`);
      failures.inc({ reason });
    },
  };
}
