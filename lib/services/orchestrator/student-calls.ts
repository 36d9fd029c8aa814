/**
 * The orchestrator's side of the sfda.v1.Student contract: the StartRun request of a run
 * (fresh or resumed), the mode mapping, which failures are transient (worth retrying or
 * waiting out) and how an error reads in run.json and in log lines.
 */
import { status } from '@grpc/grpc-js';
import type { StartRunRequest } from '../../../proto/gen/sfda/v1/StartRunRequest.js';
import type { SyncMode } from '../../../proto/gen/sfda/v1/SyncMode.js';
import { codeOf, isServiceError, statusName } from '../grpc/index.js';
import type { RunMode, RunRecord } from './run-record.js';

/** The Student's SyncMode of a run mode. */
export function syncMode(mode: RunMode): SyncMode {
  return mode === 'pipelined' ? 'SYNC_MODE_PIPELINED' : 'SYNC_MODE_SYNC';
}

/** Student.StartRun for a run: `resume` continues from the run folder's latest checkpoint. */
export function startRunRequest(rec: RunRecord, configJson: string, resume: boolean): StartRunRequest {
  return {
    run_id: rec.run_id, run_dir: rec.run_dir, config_json: configJson, source_model: rec.source_model, resume,
    mode: syncMode(rec.mode), max_staleness: rec.max_staleness, teacher_address: rec.teacher,
  };
}

/** Codes that say "the student is not there right now" rather than "this request is wrong". */
export const TRANSIENT_CODES: readonly status[] = [
  status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.ABORTED, status.RESOURCE_EXHAUSTED, status.UNKNOWN,
];

export function isTransientError(err: unknown): boolean {
  return isServiceError(err) && TRANSIENT_CODES.includes(err.code);
}

export function isCode(err: unknown, code: status): boolean {
  return isServiceError(err) && err.code === code;
}

/** "UNAVAILABLE: No connection established" (or the message of a non-gRPC error). */
export function describeError(err: unknown): string {
  if (isServiceError(err)) return `${statusName(codeOf(err))}: ${err.details}`;
  return err instanceof Error ? err.message : String(err);
}
