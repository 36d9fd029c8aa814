/**
 * Following one active run: the orchestrator watches the student's progress stream for the
 * run, keeps the run's record and subscribers up to date, and brings the run back when the
 * student is lost.
 *
 *   watch      Student.Watch(run_id): every Progress updates the run (run.json, metrics,
 *              WatchRun subscribers). A FINISHED event is completed with results.json's mIoU.
 *              A liveness check guards the stream: after `livenessMs` without an event the
 *              follower asks GetState; if that fails the stream is taken as lost (a student
 *              behind a dead connection never closes it).
 *   lost       the stream failed (UNAVAILABLE: killed or restarting; CANCELLED: forced down)
 *              or ended before a terminal phase (the student shut down) → phase RECOVERING,
 *              back off, then probe.
 *   probe      health Check of sfda.v1.Student (must be SERVING: a draining student is not
 *              asked to take the run), then GetState(run_id):
 *                running                  → watch again
 *                FINISHED / FAILED        → record it, done
 *                NOT_FOUND, STOPPED, idle → the student does not run it: resume
 *                anything else failing    → back off, probe again (indefinitely)
 *   resume     Student.StartRun(resume=true) with the run's resolved config (run.config.json):
 *              the student continues from the run folder's latest checkpoint, so nothing
 *              committed is lost. Counted in run.json `restarts`; after `maxRestarts` automatic
 *              resumes by one follower (since the run was started, resumed, or re-attached by a
 *              restarted orchestrator) the run is FAILED — a restart budget, so a run that
 *              kills its student does not loop forever. A run whose results.json already exists is finished on
 *              disk and is recorded FINISHED without asking the student.
 *
 * While a StopRun is in progress the end of the stream is expected (STOPPED arrives on it); a
 * student lost at that moment leaves the run STOPPED at its latest checkpoint on disk.
 * A failure the student reports (phase FAILED) is final: the follower records it and stops;
 * ResumeRun is the explicit retry. `detach()` stops following without touching the phase (the
 * orchestrator shutting down: the next one re-attaches from run.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { Progress__Output } from '../../../proto/gen/sfda/v1/Progress.js';
import type { StudentState__Output } from '../../../proto/gen/sfda/v1/StudentState.js';
import type { Logger } from '../../run/logger.js';
import { healthCheck, SERVICES, unary } from '../grpc/index.js';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.js';
import type { Peer } from './clients.js';
import { isTerminal, mergeStudentPhase } from './phases.js';
import { latestCheckpointOf, readResults, readRunConfig } from './run-files.js';
import type { RunState } from './run-state.js';
import { describeError, isCode, isTransientError, startRunRequest } from './student-calls.js';

export interface FollowerOptions {
  readonly student: Peer<'Student'>;
  readonly policy: BackoffPolicy;
  /** Automatic resumes allowed per run before it is FAILED. */
  readonly maxRestarts: number;
  /** Without a progress event for this long, check the student with GetState (0: never). */
  readonly livenessMs: number;
  /** Deadline of GetState / health calls (ms). */
  readonly callDeadlineMs: number;
  /** Deadline of Student.StartRun (ms). */
  readonly runCallDeadlineMs: number;
  readonly logger: Logger;
  /** Called once when the follower ends on its own (the run reached a terminal phase). */
  readonly onDone?: (run: RunState) => void;
}

type WatchEnd = { kind: 'terminal' } | { kind: 'aborted' } | { kind: 'lost'; why: string; events: number };
type ProbeResult = 'watch' | 'resume' | 'done' | 'retry';

/** Phases a student reports for a run it does not (or no longer) run. */
const IDLE_PHASES = new Set(['', 'IDLE', 'UNKNOWN', 'NOT_FOUND', 'UNSPECIFIED', 'STOPPED']);

export class RunFollower {
  private readonly ac = new AbortController();
  private loop: Promise<void> | undefined;
  private call: ClientReadableStream<Progress__Output> | undefined;
  private stopExpected = false;
  /** restarts when following began: the budget counts the automatic resumes of this follower. */
  private readonly restartsAtStart: number;

  constructor(readonly run: RunState, private readonly o: FollowerOptions) {
    this.restartsAtStart = run.record.restarts;
  }

  /**
   * Starts following: 'watch' right after a successful StartRun, 'probe' to re-attach (after an
   * orchestrator restart) or to recover.
   */
  start(first: 'watch' | 'probe'): void {
    if (this.loop) throw new Error(`run ${this.run.id} is already followed`);
    this.loop = this.follow(first).catch((e: unknown) => {
      this.o.logger.error('follower crashed', { run_id: this.run.id, error: (e as Error).stack ?? String(e) });
      this.run.update({ phase: 'FAILED', error: `orchestrator: following the run failed: ${describeError(e)}` });
    });
  }

  /** A StopRun is in progress: the stream's end is expected and must not be recovered. */
  expectStop(): void {
    this.stopExpected = true;
  }

  /** Stops following (cancels the watch, ends a backoff) and waits for the loop to end. */
  async detach(): Promise<void> {
    this.ac.abort();
    this.call?.cancel();
    await this.loop;
  }

  private get aborted(): boolean {
    return this.ac.signal.aborted;
  }

  private async follow(first: 'watch' | 'probe'): Promise<void> {
    let next: 'watch' | 'probe' = first;
    let attempt = 0;
    while (!this.aborted) {
      if (next === 'probe') {
        if (this.stopExpected) return;
        const r = await this.probe();
        if (r === 'done' || this.aborted) break;
        if (this.stopExpected) return;
        if (r === 'retry') {
          await this.backoff(attempt++);
          continue;
        }
        if (r === 'resume') {
          const res = await this.resume();
          if (res === 'failed') break;
          if (res === 'retry') {
            await this.backoff(attempt++);
            continue;
          }
        }
      }
      const end = await this.watch();
      if (end.kind === 'aborted' || this.aborted) return;
      if (end.kind === 'terminal') break;
      if (this.stopExpected) {
        // Lost while stopping: nothing runs the run any more; it stops at its latest checkpoint.
        if (this.run.phase === 'STOPPING') {
          this.run.update({
            phase: 'STOPPED', last_checkpoint: latestCheckpointOf(this.run.record.run_dir)?.path ?? this.run.record.last_checkpoint,
            error: `the student went away while stopping (${end.why}); stopped at the latest checkpoint on disk`,
          });
        }
        break;
      }
      if (end.events > 0) attempt = 0;
      this.o.logger.warn('lost the student', { run_id: this.run.id, why: end.why });
      this.run.update({ phase: 'RECOVERING', error: `student lost: ${end.why}` }, { message: `student lost (${end.why}); recovering` });
      await this.backoff(attempt++);
      next = 'probe';
    }
    if (!this.aborted) this.o.onDone?.(this.run);
  }

  private async backoff(attempt: number): Promise<void> {
    await sleep(backoffDelay(this.o.policy, attempt), this.ac.signal);
  }

  /** One Watch stream, until it ends, fails, is found dead by the liveness check, or detach(). */
  private watch(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      const { client } = this.o.student;
      const call = client.Watch({ run_id: this.run.id });
      this.call = call;
      let events = 0;
      let last = '';
      let settled = false;
      let livenessFailure: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      const done = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.call = undefined;
        resolve(end);
      };
      const arm = (): void => {
        if (this.o.livenessMs <= 0) return;
        clearTimeout(timer);
        timer = setTimeout(() => void check(), this.o.livenessMs);
      };
      const check = async (): Promise<void> => {
        try {
          const st = await unary(client, 'GetState', { run_id: this.run.id }, { deadlineMs: this.o.callDeadlineMs });
          if (settled) return;
          if (IDLE_PHASES.has(st.phase.toUpperCase()) && !this.stopExpected) {
            livenessFailure = `the student no longer runs it (GetState: phase '${st.phase}')`;
            call.cancel();
            return;
          }
          arm();
        } catch (e) {
          if (settled) return;
          livenessFailure = `no progress for ${this.o.livenessMs} ms and GetState failed (${describeError(e)})`;
          call.cancel();
        }
      };
      arm();
      call.on('data', (p: Progress__Output) => {
        events++;
        arm();
        last = p.phase.toUpperCase();
        this.applyProgress(p);
      });
      call.on('error', (err: Error) => {
        if (this.aborted) return done({ kind: 'aborted' });
        if (livenessFailure) return done({ kind: 'lost', why: livenessFailure, events });
        if (isCode(err, status.NOT_FOUND)) return done({ kind: 'lost', why: `the student does not know the run (${describeError(err)})`, events });
        done({ kind: 'lost', why: describeError(err), events });
      });
      call.on('end', () => {
        if (this.aborted) return done({ kind: 'aborted' });
        if (isTerminal(this.run.phase) && (last === 'FINISHED' || last === 'FAILED' || this.stopExpected)) return done({ kind: 'terminal' });
        done({ kind: 'lost', why: `the student ended the progress stream in phase ${last || '(none)'}`, events });
      });
    });
  }

  /** Applies a student event; a FINISHED one first picks up results.json (the final mIoU). */
  private applyProgress(p: Progress__Output): void {
    if (p.phase.toUpperCase() === 'FINISHED') {
      const res = readResults(this.run.record.run_dir);
      if (res?.miou !== undefined) p = { ...p, miou: res.miou };
    }
    this.run.applyProgress(p);
    if (this.run.phase === 'FAILED') this.o.logger.error('run failed', { run_id: this.run.id, error: this.run.record.error });
    else if (this.run.phase === 'FINISHED') this.o.logger.info('run finished', { run_id: this.run.id, step: this.run.record.step, miou: this.run.record.miou });
  }

  /** Is the student there, and what does it know of the run? */
  private async probe(): Promise<ProbeResult> {
    const { address, config, client } = this.o.student;
    try {
      const health = await healthCheck(address, SERVICES.Student, config, this.o.callDeadlineMs);
      if (health !== 'SERVING') {
        this.note(`student at ${address} is ${health}`);
        return 'retry';
      }
      const st = await unary(client, 'GetState', { run_id: this.run.id }, { deadlineMs: this.o.callDeadlineMs });
      const phase = st.phase.toUpperCase();
      if (phase === 'FINISHED') {
        this.applyState(st, 'FINISHED');
        return 'done';
      }
      if (phase === 'FAILED') {
        this.applyState(st, 'FAILED');
        return 'done';
      }
      if (IDLE_PHASES.has(phase)) return this.finishedOnDisk() ? 'done' : 'resume';
      this.o.logger.info('re-attached to the student', { run_id: this.run.id, student_phase: st.phase, step: st.step });
      return 'watch';
    } catch (e) {
      if (isCode(e, status.NOT_FOUND)) return this.finishedOnDisk() ? 'done' : 'resume';
      this.note(describeError(e));
      return 'retry';
    }
  }

  /** A run whose results.json exists has finished (adapt-run writes it last). */
  private finishedOnDisk(): boolean {
    const dir = this.run.record.run_dir;
    const res = readResults(dir);
    if (!res || !fs.existsSync(path.join(dir, 'model.onnx'))) return false;
    this.run.update({
      phase: 'FINISHED', error: '', ...(res.miou !== undefined ? { miou: res.miou } : {}),
      ...(res.iterations !== undefined ? { step: res.iterations, iterations: res.iterations } : {}),
      ...(res.teacher_version !== undefined ? { teacher_version: res.teacher_version } : {}),
    }, { message: 'the run had finished (results.json)' });
    return true;
  }

  /** Records what GetState said of a run that has ended on the student. */
  private applyState(st: StudentState__Output, phase: 'FINISHED' | 'FAILED'): void {
    const res = phase === 'FINISHED' ? readResults(this.run.record.run_dir) : undefined;
    this.run.update({
      phase, step: st.step, iterations: st.iterations || this.run.record.iterations, teacher_version: st.teacher_version,
      ...(st.last_checkpoint ? { last_checkpoint: st.last_checkpoint } : {}),
      error: phase === 'FAILED' ? st.error || 'the student reports the run FAILED' : '',
      ...(res?.miou !== undefined ? { miou: res.miou } : {}),
    }, { message: `the student reports ${phase}` });
  }

  /** Student.StartRun(resume=true): the run continues from its latest checkpoint. */
  private async resume(): Promise<'ok' | 'retry' | 'failed'> {
    const rec = this.run.record;
    if (rec.restarts - this.restartsAtStart >= this.o.maxRestarts) {
      this.run.update({ phase: 'FAILED', error: `gave up after ${rec.restarts - this.restartsAtStart} automatic restarts in a row (orchestrator.maxRestarts); ResumeRun retries` });
      return 'failed';
    }
    const json = readRunConfig(rec.run_dir);
    if (json === undefined) {
      this.run.update({ phase: 'FAILED', error: `cannot resume: ${path.join(rec.run_dir, 'run.config.json')} is missing` });
      return 'failed';
    }
    try {
      const st = await unary(this.o.student.client, 'StartRun', startRunRequest(rec, json, true), { deadlineMs: this.o.runCallDeadlineMs });
      const restarts = rec.restarts + 1;
      this.o.logger.warn('resumed the run on the student', { run_id: rec.run_id, restarts, step: st.step, checkpoint: st.last_checkpoint || rec.last_checkpoint });
      this.run.update({
        phase: mergeStudentPhase('RECOVERING', st.phase), restarts, step: st.step, error: '',
        ...(st.iterations ? { iterations: st.iterations } : {}),
        ...(st.last_checkpoint ? { last_checkpoint: st.last_checkpoint } : {}),
      }, { message: `resumed on the student from step ${st.step} (restart ${restarts})`, force: true });
      return 'ok';
    } catch (e) {
      if (isTransientError(e)) {
        this.note(`resume: ${describeError(e)}`);
        return 'retry';
      }
      this.run.update({ phase: 'FAILED', error: `resume refused by the student: ${describeError(e)}` });
      return 'failed';
    }
  }

  /** Records the latest trouble (still RECOVERING) without flooding the log. */
  private note(why: string): void {
    if (this.stopExpected || this.aborted) return;
    if (this.run.record.error !== `student lost: ${why}`) this.o.logger.info('waiting for the student', { run_id: this.run.id, why });
    this.run.update({ phase: 'RECOVERING', error: `student lost: ${why}` }, { message: `waiting for the student: ${why}` });
  }
}
