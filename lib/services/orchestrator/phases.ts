/**
 * The phases of a run as the orchestrator records them (run.json, RunInfo.phase, the
 * sfda_orchestrator_runs{phase} gauge), and how a phase reported by the student maps onto them.
 *
 *   QUEUED      waiting for a free teacher/student pair (every student has a run); started in
 *               FIFO order when a pair frees (a run on it finishes, fails or is stopped). No
 *               student is assigned yet (run.json student/teacher are empty) and nothing follows it
 *   STARTING    run.json written, a pair assigned, Student.StartRun in flight (or the run is
 *               being resumed)
 *   RUNNING     the student runs it; the orchestrator follows its Watch stream
 *   RECOVERING  the student was lost (killed, restarting, unreachable); the orchestrator polls
 *               it and resumes the run from its latest checkpoint when it is back
 *   STOPPING    StopRun asked the student to stop after the current step
 *   STOPPED     stopped with a checkpoint; ResumeRun continues it
 *   FINISHED    all iterations done; model.onnx and results.json are in the run directory
 *   FAILED      the student reported a failure, or the run could not be (re)started
 * PENDING is part of the exported set (the proto's RunPhase names) but not used here.
 */
import { DEFAULT_RUN_PHASES } from '../metrics/orchestrator.js';

export const RUN_PHASES = DEFAULT_RUN_PHASES;
export type RunPhase = (typeof RUN_PHASES)[number];

/** Phases after which nothing happens to the run until a ResumeRun (WatchRun ends there). */
export const TERMINAL_PHASES: readonly RunPhase[] = ['STOPPED', 'FINISHED', 'FAILED'];

export function isRunPhase(p: string): p is RunPhase {
  return (RUN_PHASES as readonly string[]).includes(p);
}

export function isTerminal(p: string): boolean {
  return (TERMINAL_PHASES as readonly string[]).includes(p);
}

/** A run in one of these phases has a follower (and is followed again after a restart). */
export function isFollowed(p: string): boolean {
  return isRunPhase(p) && !isTerminal(p) && p !== 'QUEUED';
}

/** A run in one of these phases occupies its pair's student (the student runs at most one run). */
export function holdsPair(p: string): boolean {
  return isFollowed(p);
}

/**
 * The phase a student's report means for the record. Unknown or empty phases of a run the
 * student is working on (a finer sub-phase such as EVALUATING) count as RUNNING; while a stop is
 * in progress, reports of RUNNING (the last steps before the stop) keep STOPPING; a STOPPED
 * that nobody asked for (the student stopped the run because it is shutting down) is
 * RECOVERING: the orchestrator resumes the run once a student serves again.
 */
export function mergeStudentPhase(current: RunPhase, reported: string): RunPhase {
  const p = reported.toUpperCase();
  const next: RunPhase = isRunPhase(p) && p !== 'PENDING' ? p : 'RUNNING';
  if (current === 'STOPPING' && (next === 'RUNNING' || next === 'STARTING' || next === 'RECOVERING')) return 'STOPPING';
  if (next === 'STOPPED' && current !== 'STOPPING' && current !== 'STOPPED') return 'RECOVERING';
  return next;
}
