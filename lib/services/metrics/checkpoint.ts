/**
 * Checkpoints (written by the orchestrator, and by the student for its own state):
 *   sfda_checkpoint_seconds                            histogram: time to write one checkpoint atomically
 *   sfda_checkpoint_last_success_timestamp_seconds     gauge: Unix time of the latest successful checkpoint
 * The timestamp makes "no checkpoint for an hour" a one-line alert: time() - that > 3600.
 */
import { Gauge, Histogram, type Registry } from 'prom-client';
import { TRANSFER_BUCKETS_SECONDS } from './buckets.js';

export interface CheckpointMetrics {
  seconds: Histogram;
  lastSuccess: Gauge;
  /** Records one successful checkpoint that took `seconds`. */
  recordCheckpoint(seconds: number): void;
}

export function createCheckpointMetrics(registry: Registry): CheckpointMetrics {
  const registers = [registry];
  const seconds = new Histogram({
    name: 'sfda_checkpoint_seconds',
    help: 'Time to write one checkpoint (all state needed to resume, written atomically).',
    buckets: [...TRANSFER_BUCKETS_SECONDS],
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'sfda_checkpoint_last_success_timestamp_seconds',
    help: 'Unix time of the latest successful checkpoint.',
    registers,
  });
  return {
    seconds,
    lastSuccess,
    recordCheckpoint(s) {
      seconds.observe(s);
      lastSuccess.setToCurrentTime();
    },
  };
}
