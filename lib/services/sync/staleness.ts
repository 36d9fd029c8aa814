/**
 * Staleness of the teacher: how many student steps the teacher's EMA weights lag behind.
 *
 * Versions are student steps: the student publishes its weights after step s as version s,
 * and the teacher's version is the student step whose weights it last folded into the EMA.
 * So staleness = studentStep − teacherVersion (0 when the teacher is current; k − 1 at most
 * between two syncs every k steps when the sync keeps up).
 *
 * Why an explicit bound: a sync that silently stops (weights "never arrive") must fail the
 * run loudly instead of letting the student train against an ever older teacher. The
 * orchestrator exports the staleness and calls checkStaleness before each pseudo-label
 * request.
 */
import { SyncError } from './errors.js';

/** Raised when the teacher lags more than the bound, or is ahead of the student. */
export class StalenessExceededError extends SyncError {
  constructor(readonly studentStep: number, readonly teacherVersion: number, readonly bound: number, detail: string) {
    super('STALENESS_EXCEEDED', detail);
    this.name = 'StalenessExceededError';
  }
}

function checkStep(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new SyncError('INVALID_ARGUMENT', `staleness: ${what} must be an integer ≥ 0, got ${v}`);
}

/** studentStep − teacherVersion (may be negative if the teacher is ahead: see checkStaleness). */
export function staleness(studentStep: number, teacherVersion: number): number {
  checkStep('studentStep', studentStep);
  checkStep('teacherVersion', teacherVersion);
  return studentStep - teacherVersion;
}

/**
 * Returns the staleness when 0 ≤ staleness ≤ maxStaleness; otherwise throws
 * StalenessExceededError saying how far behind (or ahead) the teacher is.
 */
export function checkStaleness(studentStep: number, teacherVersion: number, maxStaleness: number): number {
  checkStep('maxStaleness', maxStaleness);
  const s = staleness(studentStep, teacherVersion);
  if (s < 0) {
    throw new StalenessExceededError(studentStep, teacherVersion, maxStaleness,
      `teacher version v${teacherVersion} is ahead of the student (step ${studentStep}): the student restarted from an older checkpoint or the versions belong to another run`);
  }
  if (s > maxStaleness) {
    throw new StalenessExceededError(studentStep, teacherVersion, maxStaleness,
      `teacher is ${s} steps stale (student step ${studentStep}, teacher version v${teacherVersion}), over the bound of ${maxStaleness}: student weights are not reaching the teacher`);
  }
  return s;
}
