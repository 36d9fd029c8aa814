/**
 * The orchestrator service (sfda.v1.Orchestrator): runs on disk (run-record.ts, run-files.ts),
 * in memory (run-state.ts, registry.ts), followed on the student (follower.ts), evaluated
 * through the teacher (evaluate.ts), exported (export.ts); service.ts ties them together and
 * process.ts / settings.ts make it a process.
 */
export * from './backoff.js';
export * from './clients.js';
export * from './event-queue.js';
export * from './evaluate.js';
export * from './export.js';
export * from './follower.js';
export * from './phases.js';
export * from './process.js';
export * from './registry.js';
export * from '../run-config.js';
export * from './run-files.js';
export * from './run-id.js';
export * from './run-record.js';
export * from './run-state.js';
export * from './service.js';
export * from './settings.js';
export * from './student-calls.js';
export * from './weights-head.js';
