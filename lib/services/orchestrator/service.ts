/**
 * The orchestrator: sfda.v1.Orchestrator over a run registry (run.json files under runsRoot)
 * and one or more teacher/student pairs (settings.ts: student + teacher, students + teacher, or
 * pairs): the student runs the adaptation loop (ONE run at a time), the teacher labels for it
 * (and answers Evaluate's Predict; a teacher may serve several runs).
 *
 * Scheduling: a pair is free when no run in STARTING / RUNNING / RECOVERING / STOPPING is
 * assigned to its student. A new run (StartRun) or a continued one (ResumeRun) takes the first
 * free pair (ResumeRun prefers the run's previous pair) — unless runs are already queued — and
 * records it in run.json (student, teacher); otherwise it is QUEUED (no pair, nothing follows
 * it) and started in FIFO order when a pair frees: a run on it finishes, fails or is stopped.
 * A run keeps its pair while RECOVERING: a killed student's run is resumed on the SAME pair
 * (its follower polls that student), never moved to another free pair. StopRun of a QUEUED run
 * takes it out of the queue (STOPPED, no student involved). An orchestrator restart restores
 * the queue from the run.json files in QUEUED, in created order.
 *
 *   StartRun   validate the config (overrides, source) → reserve <runsRoot>/<run_id> → write
 *              run.config.json and run.json (STARTING with a free pair, else QUEUED: the reply
 *              says QUEUED) → Student.StartRun (retried while UNAVAILABLE) → RUNNING, followed
 *              (follower.ts). A student that refuses or stays unreachable leaves the run FAILED
 *              with the reason (ResumeRun retries).
 *   StopRun    STOPPING → Student.StopRun (stops after the current step with a checkpoint) →
 *              STOPPED with that checkpoint. A student that is gone or no longer has the run:
 *              STOPPED at the latest checkpoint on disk. A QUEUED run: STOPPED at once.
 *   ResumeRun  a STOPPED or FAILED run → a free pair (or QUEUED) → Student.StartRun(resume=true)
 *              → followed again.
 *   GetRun / ListRuns   the records (ListRuns: every run.json under runsRoot).
 *   WatchRun   the run's state, then every progress event until a terminal phase; ends cleanly
 *              when the server shuts down.
 *   Evaluate   evaluate.ts;  Export  export.ts.
 *
 * Restart recovery: open() loads every run.json and follows the runs that were active again
 * (the follower re-attaches to the student's Watch, or resumes the run when the student does
 * not have it); a run caught in STOPPING is stopped again. close() detaches without touching
 * the phases, so the next orchestrator picks the runs up where this one left them.
 */
import fs from 'node:fs';
import { status } from '@grpc/grpc-js';
import type { OrchestratorHandlers } from '../../../proto/gen/sfda/v1/Orchestrator.js';
import type { Logger } from '../../run/logger.js';
import {
  FailedPrecondition, GrpcError, InvalidArgument, requireString, Unavailable, unary, withRetry,
  type ServiceImpl,
} from '../grpc/index.js';
import type { ServiceMetrics } from '../metrics/index.js';
import type { BackoffPolicy } from './backoff.js';
import { makePeer, peerClientConfig, type Endpoint, type Peer } from './clients.js';
import { evaluateRun } from './evaluate.js';
import { exportRunModel } from './export.js';
import { RunFollower } from './follower.js';
import { holdsPair, isFollowed, isTerminal, mergeStudentPhase } from './phases.js';
import { RunRegistry } from './registry.js';
import { resolveRunConfig } from '../run-config.js';
import { latestCheckpointOf, readResults, readRunConfig, writeRunConfig } from './run-files.js';
import { checkRunId, makeRunId } from './run-id.js';
import { RUN_MODES, toRunInfo, type RunMode, type RunRecord } from './run-record.js';
import type { RunInfo } from '../../../proto/gen/sfda/v1/RunInfo.js';
import type { RunState } from './run-state.js';
import { WeightsHeadTracker, type WeightsHeadSource } from './weights-head.js';
import { describeError, isCode, isTransientError, startRunRequest } from './student-calls.js';

/** The metric groups the orchestrator updates. */
export type OrchestratorMetricGroups = Pick<ServiceMetrics<'orchestrator'>, 'orchestrator' | 'sync' | 'checkpoint'>;

export interface OrchestratorOptions {
  /** Folder of the run directories (created when missing). */
  readonly runsRoot: string;
  /** The teacher/student pairs runs are scheduled on (at least one; distinct students). */
  readonly pairs: readonly PairEndpoints[];
  /** Bearer token sent to the student and the teacher (the orchestrator's own auth.token). */
  readonly token?: string;
  readonly defaultMode: RunMode;
  /** Staleness bound of pipelined runs that do not give one. */
  readonly maxStaleness: number;
  readonly policy: BackoffPolicy;
  /** Automatic resumes of a lost run before it is FAILED. */
  readonly maxRestarts: number;
  /** run.json is written at most this often without a phase change (ms). */
  readonly persistMs: number;
  /** Liveness check of a silent Watch stream (ms; 0: off). */
  readonly livenessMs: number;
  /** Deadline of the control calls to the student (ms). */
  readonly callDeadlineMs: number;
  /** Deadline of Student.StartRun / StopRun (loading the models, writing the stop checkpoint; ms). */
  readonly runCallDeadlineMs: number;
  /** Deadline of one Teacher.Predict during Evaluate (ms). */
  readonly predictDeadlineMs: number;
  /** Message size limit of the clients (Predict batches are split to fit). */
  readonly maxMessageBytes: number;
  /** Colour overlays written by Evaluate with out_dir. */
  readonly evalOverlays: number;
  readonly logger: Logger;
  readonly metrics?: OrchestratorMetricGroups;
  /** Track the published weights version of followed runs in NATS (weights-head.ts). */
  readonly weightsHead?: { readonly open: () => Promise<WeightsHeadSource>; readonly pollMs: number };
}

/** One teacher/student pair of the settings. */
export interface PairEndpoints {
  readonly student: Endpoint;
  readonly teacher: Endpoint;
}

/** A pair's clients (a teacher shared by several pairs has one client). */
export interface Pair {
  readonly student: Peer<'Student'>;
  readonly teacher: Peer<'Teacher'>;
}

/** The run's RunInfo once its record is written (no write left pending behind the throttle). */
async function flushed(run: { flush(): Promise<void>; info(): RunInfo }): Promise<RunInfo> {
  await run.flush();
  return run.info();
}

export class Orchestrator {
  readonly registry: RunRegistry;
  readonly pairs: readonly Pair[];
  private readonly studentPeers = new Map<string, Peer<'Student'>>();
  private readonly teacherPeers = new Map<string, Peer<'Teacher'>>();
  private readonly followers = new Map<string, RunFollower>();
  private readonly heads: WeightsHeadTracker | undefined;
  private readonly clientOpts: { token?: string; deadlineMs: number; maxMessageBytes: number; policy: BackoffPolicy };
  /** QUEUED run ids, first come first served. */
  private readonly queue: string[] = [];
  /** Queued runs that continue from their checkpoint when they start (ResumeRun, or restored with one). */
  private readonly resumeQueued = new Set<string>();
  /** Students chosen for a run whose record does not hold them yet (StartRun before run.json exists). */
  private readonly reserved = new Set<string>();
  private pumpScheduled = false;
  private closing = false;

  private constructor(private readonly o: OrchestratorOptions) {
    if (o.pairs.length === 0) throw new Error('the orchestrator needs at least one teacher/student pair');
    this.clientOpts = { ...(o.token ? { token: o.token } : {}), deadlineMs: o.callDeadlineMs, maxMessageBytes: o.maxMessageBytes, policy: o.policy };
    this.pairs = o.pairs.map((p) => ({ student: this.studentPeer(p.student.address, p.student), teacher: this.teacherPeer(p.teacher.address, p.teacher) }));
    const m = o.metrics;
    this.registry = new RunRegistry({
      runsRoot: o.runsRoot, persistMs: o.persistMs, logger: o.logger,
      onPhases: (phases) => m?.orchestrator.setRunPhases(phases),
      hooks: {
        onPhase: (run, from, to) => {
          o.logger.info('run phase', { run_id: run.id, from, to, step: run.record.step, ...(run.record.student ? { student: run.record.student } : {}), ...(run.record.error ? { error: run.record.error } : {}) });
          // a run that ended frees its pair: the next queued run may start
          if (isTerminal(to) && holdsPair(from)) this.schedulePump();
        },
        onProgress: (run) => {
          const r = run.record;
          if (!m) return;
          if (r.step >= r.teacher_version) m.sync.staleness.set(r.step - r.teacher_version);
          m.sync.teacherVersion.set(r.teacher_version);
          if (r.miou !== null && Number.isFinite(r.miou)) m.orchestrator.evalMiou.set(r.miou);
        },
        onCheckpoint: (_run, mtimeMs) => m?.checkpoint.lastSuccess.set(mtimeMs / 1000),
        onWriteError: (run, err) => o.logger.error('cannot write run.json', { run_id: run.id, error: err.message }),
      },
    });
    if (o.weightsHead) {
      this.heads = new WeightsHeadTracker({
        open: o.weightsHead.open, pollMs: o.weightsHead.pollMs, logger: o.logger,
        onVersion: (_run, v) => m?.sync.publishedVersion.set(v),
      });
    }
  }

  /** Loads the registry and follows the runs that were active (restart recovery). */
  static async open(o: OrchestratorOptions): Promise<Orchestrator> {
    const orch = new Orchestrator(o);
    const runs = orch.registry.load();
    o.logger.info('run registry loaded', { runs_root: o.runsRoot, runs: runs.length, active: runs.filter((r) => isFollowed(r.phase)).length });
    for (const run of runs) {
      if (run.phase === 'STOPPING') void orch.stop(run).catch((e: unknown) => o.logger.error('stopping a run after restart failed', { run_id: run.id, error: describeError(e) }));
      else if (run.phase === 'QUEUED') {
        // the queue, restored in created order (registry.load sorts by created)
        orch.queue.push(run.id);
        if (latestCheckpointOf(run.record.run_dir)) orch.resumeQueued.add(run.id);
      } else if (isFollowed(run.phase)) orch.follow(run, 'probe');
    }
    if (orch.queue.length > 0) o.logger.info('run queue restored', { queued: orch.queue.length, runs: orch.queue.join(',') });
    orch.heads?.start(() => [...orch.followers.values()].map((f) => f.run));
    orch.pump();
    return orch;
  }

  // ---- pairs and the queue ----

  /** The client of a student address (one per address; an address not in the settings — a run.json of an older configuration — gets the first student's TLS settings). */
  private studentPeer(address: string, ep?: Endpoint): Peer<'Student'> {
    let p = this.studentPeers.get(address);
    if (!p) {
      const e: Endpoint = ep ?? { ...this.o.pairs[0]!.student, address };
      p = makePeer('Student', address, peerClientConfig(e, this.clientOpts));
      this.studentPeers.set(address, p);
    }
    return p;
  }

  private teacherPeer(address: string, ep?: Endpoint): Peer<'Teacher'> {
    let p = this.teacherPeers.get(address);
    if (!p) {
      const e: Endpoint = ep ?? { ...this.o.pairs[0]!.teacher, address };
      p = makePeer('Teacher', address, peerClientConfig(e, this.clientOpts));
      this.teacherPeers.set(address, p);
    }
    return p;
  }

  /** The student a run is assigned to (the first pair's for a record without one). */
  private studentOf(run: RunState): Peer<'Student'> {
    const a = run.record.student;
    return a ? this.studentPeer(a) : this.pairs[0]!.student;
  }

  private teacherOf(run: RunState): Peer<'Teacher'> {
    const a = run.record.teacher;
    return a ? this.teacherPeer(a) : this.pairs[0]!.teacher;
  }

  /** Is a pair's student free: no active run assigned to it and none being assigned? */
  private isFree(p: Pair): boolean {
    const a = p.student.address;
    if (this.reserved.has(a)) return false;
    return !this.registry.all().some((r) => holdsPair(r.phase) && r.record.student === a);
  }

  /** A free pair (`prefer`: this student's pair when it is free), or undefined. */
  private freePair(prefer?: string): Pair | undefined {
    const pref = prefer ? this.pairs.find((p) => p.student.address === prefer) : undefined;
    if (pref && this.isFree(pref)) return pref;
    return this.pairs.find((p) => this.isFree(p));
  }

  /** Queued run ids, first first (tests, diagnostics). */
  get queued(): string[] {
    return [...this.queue];
  }

  private enqueue(run: RunState, resume: boolean): void {
    if (!this.queue.includes(run.id)) this.queue.push(run.id);
    if (resume) this.resumeQueued.add(run.id);
    else this.resumeQueued.delete(run.id);
    this.o.logger.info('run queued: every student has a run', { run_id: run.id, position: this.queue.indexOf(run.id) + 1 });
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closing) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts queued runs, first first, while a pair is free (the assignment is synchronous: no pair is given twice). */
  private pump(): void {
    while (this.queue.length > 0 && !this.closing) {
      const id = this.queue[0]!;
      const run = this.registry.get(id);
      if (!run || run.phase !== 'QUEUED') {
        this.queue.shift();
        this.resumeQueued.delete(id);
        continue;
      }
      const pair = this.freePair();
      if (!pair) return;
      this.queue.shift();
      const resume = this.resumeQueued.delete(id);
      run.update({ phase: 'STARTING', student: pair.student.address, teacher: pair.teacher.address, error: '' }, {
        message: `dequeued: starting on student ${pair.student.address} with teacher ${pair.teacher.address}`,
      });
      void this.launch(run, resume, 'queued').catch((e: unknown) => this.o.logger.warn('starting a queued run failed', { run_id: id, error: describeError(e) }));
    }
  }

  /**
   * Student.StartRun of a run just assigned to its pair (phase STARTING, student/teacher in the
   * record), then follows it. A refusal or an unreachable student leaves the run FAILED (and
   * throws, for the caller's reply).
   */
  private async launch(run: RunState, resume: boolean, why: 'start' | 'resume' | 'queued'): Promise<void> {
    const rec = run.record;
    const json = readRunConfig(rec.run_dir);
    if (json === undefined) {
      run.update({ phase: 'FAILED', error: `cannot start: ${rec.run_dir}/run.config.json is missing` });
      await run.flush();
      throw new FailedPrecondition(`run ${rec.run_id}: ${rec.run_dir}/run.config.json is missing; it cannot be started`);
    }
    const peer = this.studentOf(run);
    try {
      const st = await withRetry(() => unary(peer.client, 'StartRun', startRunRequest(rec, json, resume), { deadlineMs: this.o.runCallDeadlineMs }), {
        ...this.retryOpts(),
        onRetry: (e, attempt, delay) => this.o.logger.warn('Student.StartRun retry', { run_id: rec.run_id, student: peer.address, attempt, delay_ms: Math.round(delay), error: describeError(e) }),
      });
      run.update({
        phase: mergeStudentPhase('STARTING', st.phase), step: st.step, iterations: st.iterations || rec.iterations, teacher_version: st.teacher_version,
        ...(st.last_checkpoint ? { last_checkpoint: st.last_checkpoint } : {}),
      }, resume ? { message: `resumed at step ${st.step}` } : {});
    } catch (e) {
      const call = resume ? 'Student.StartRun(resume)' : 'Student.StartRun';
      run.update({ phase: 'FAILED', error: `${call} failed: ${describeError(e)}` });
      await run.flush();
      throw this.studentError(peer.address, resume ? 'StartRun(resume)' : 'StartRun', e,
        why === 'start' && isCode(e, status.UNAVAILABLE) ? ` (the run ${rec.run_id} is recorded FAILED; ResumeRun starts it)` : '');
    }
    this.followAfterStart(run);
  }

  /** Runs followed now (tests, diagnostics). */
  get followed(): string[] {
    return [...this.followers.keys()];
  }

  private follow(run: RunState, first: 'watch' | 'probe'): void {
    if (this.closing || this.followers.has(run.id)) return;
    const f = new RunFollower(run, {
      student: this.studentOf(run), policy: this.o.policy, maxRestarts: this.o.maxRestarts, livenessMs: this.o.livenessMs,
      callDeadlineMs: this.o.callDeadlineMs, runCallDeadlineMs: this.o.runCallDeadlineMs, logger: this.o.logger,
      onDone: (r) => {
        if (this.followers.get(r.id) === f) this.followers.delete(r.id);
      },
    });
    this.followers.set(run.id, f);
    f.start(first);
  }

  /**
   * After a successful Student.StartRun: watch a running run; a reply that says the run has
   * already ended (a resumed run that had finished) is settled by a probe (GetState, results.json).
   */
  private followAfterStart(run: RunState): void {
    this.follow(run, isFollowed(run.phase) ? 'watch' : 'probe');
  }

  private async unfollow(id: string): Promise<void> {
    const f = this.followers.get(id);
    if (!f) return;
    this.followers.delete(id);
    await f.detach();
  }

  private retryOpts(retries = this.o.policy.retries) {
    return { retries, baseMs: this.o.policy.baseMs, maxMs: this.o.policy.maxMs, retryOn: [status.UNAVAILABLE] };
  }

  /** A student error with the student named (the code is kept). */
  private studentError(address: string, call: string, e: unknown, extra = ''): Error {
    if (e instanceof GrpcError) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code > 0 && code <= 16) return new GrpcError(code, `student at ${address}: ${call}: ${(e as { details?: string }).details ?? (e as Error).message}${extra}`);
    return e as Error;
  }

  private checkOpen(): void {
    if (this.closing) throw new Unavailable('the orchestrator is shutting down');
  }

  // ---- the calls ----

  async startRun(req: { run_id: string; config_json: string; source_model: string; mode: string; max_staleness: number; overrides: Record<string, string> }): Promise<RunState> {
    this.checkOpen();
    const rc = resolveRunConfig({ config_json: req.config_json, overrides: req.overrides ?? {}, source_model: req.source_model });
    const modeText = (req.mode || this.o.defaultMode).toLowerCase();
    if (!(RUN_MODES as readonly string[]).includes(modeText)) throw new InvalidArgument(`mode: '${req.mode}' is not one of ${RUN_MODES.join(', ')}`, 'mode');
    const mode = modeText as RunMode;
    if (req.max_staleness > 1_000_000) throw new InvalidArgument(`max_staleness: ${req.max_staleness} is over 1000000`, 'max_staleness');
    const maxStaleness = mode === 'sync' ? 0 : req.max_staleness || this.o.maxStaleness;
    if (mode === 'pipelined' && maxStaleness < 1) throw new InvalidArgument('max_staleness: a pipelined run needs a bound ≥ 1', 'max_staleness');
    const id = req.run_id ? checkRunId(req.run_id) : makeRunId(rc.cfg.name);
    const now = new Date().toISOString();
    // FIFO: a new run waits behind the queued ones even when a pair is free (they get it first)
    const pair = this.queue.length === 0 ? this.freePair() : undefined;
    const rec: RunRecord = {
      run_id: id, phase: pair ? 'STARTING' : 'QUEUED', created: now, updated: now, mode, max_staleness: maxStaleness, method: rc.cfg.name,
      source_model: rc.sourceModel, run_dir: this.registry.runDir(id), step: 0, iterations: rc.cfg.iterations, teacher_version: 0,
      last_checkpoint: '', error: '', miou: null, student: pair?.student.address ?? '', teacher: pair?.teacher.address ?? '', restarts: 0,
      wall_s: 0, metrics: {},
    };
    if (pair) this.reserved.add(pair.student.address);
    let run: RunState;
    try {
      run = await this.registry.create(rec, (dir) => writeRunConfig(dir, rc.json));
    } finally {
      if (pair) {
        this.reserved.delete(pair.student.address);
        this.schedulePump();
      }
    }
    this.o.logger.info('run created', { run_id: id, run_dir: rec.run_dir, mode, max_staleness: maxStaleness, iterations: rc.cfg.iterations, source: rc.sourceModel, student: rec.student, teacher: rec.teacher, phase: rec.phase });
    if (!pair) {
      run.update({}, { message: `queued: every student has a run (${this.queue.length} ahead)`, emit: false });
      this.enqueue(run, false);
      return run;
    }
    await this.launch(run, false, 'start');
    return run;
  }

  async stopRun(id: string): Promise<RunState> {
    const run = this.registry.require(id);
    if (run.phase === 'STOPPED') return run;
    if (run.phase === 'QUEUED') {
      // never started on a student: it leaves the queue
      const at = this.queue.indexOf(id);
      if (at >= 0) this.queue.splice(at, 1);
      this.resumeQueued.delete(id);
      run.update({ phase: 'STOPPED', error: '', last_checkpoint: latestCheckpointOf(run.record.run_dir)?.path ?? run.record.last_checkpoint }, { message: 'removed from the queue' });
      this.o.logger.info('queued run stopped (removed from the queue)', { run_id: id });
      await run.flush();
      return run;
    }
    if (run.phase === 'FINISHED' || run.phase === 'FAILED') throw new FailedPrecondition(`run ${id} has already ended (${run.phase}); there is nothing to stop`);
    return this.stop(run);
  }

  private async stop(run: RunState): Promise<RunState> {
    const id = run.id;
    const prev = run.phase === 'STOPPING' ? 'RUNNING' : run.phase;
    this.followers.get(id)?.expectStop();
    run.update({ phase: 'STOPPING' }, { message: 'stopping after the current step' });
    const onDisk = (): string => latestCheckpointOf(run.record.run_dir)?.path ?? run.record.last_checkpoint;
    try {
      const st = await withRetry(() => unary(this.studentOf(run).client, 'StopRun', { run_id: id }, { deadlineMs: this.o.runCallDeadlineMs }), this.retryOpts(prev === 'RECOVERING' ? 0 : undefined));
      await this.unfollow(id);
      const phase = st.phase.toUpperCase() === 'FINISHED' ? 'FINISHED' : st.phase.toUpperCase() === 'FAILED' ? 'FAILED' : 'STOPPED';
      const res = phase === 'FINISHED' ? readResults(run.record.run_dir) : undefined;
      run.update({
        phase, step: st.step || run.record.step, teacher_version: st.teacher_version || run.record.teacher_version,
        last_checkpoint: st.last_checkpoint || onDisk(), error: phase === 'FAILED' ? st.error : '',
        ...(res?.miou !== undefined ? { miou: res.miou } : {}),
      }, { message: phase === 'STOPPED' ? `stopped at step ${st.step || run.record.step}` : `the run had ${phase}` });
    } catch (e) {
      if (isCode(e, status.DEADLINE_EXCEEDED) && this.followers.has(id)) {
        // Still stopping (a long step or checkpoint): the follower records STOPPED when the student reports it.
        this.o.logger.warn('StopRun is taking long; the run stays STOPPING until the student reports STOPPED', { run_id: id });
        return run;
      }
      if (isCode(e, status.NOT_FOUND) || isTransientError(e)) {
        // The student is gone or no longer has the run: nothing runs it; it is stopped at its latest checkpoint.
        await this.unfollow(id);
        run.update({ phase: 'STOPPED', last_checkpoint: onDisk(), error: `the student could not stop it (${describeError(e)}); stopped at the latest checkpoint on disk` });
      } else {
        await this.unfollow(id);
        run.update({ phase: prev }, { message: `stop failed: ${describeError(e)}` });
        if (isFollowed(prev)) this.follow(run, 'probe');
        throw this.studentError(this.studentOf(run).address, 'StopRun', e);
      }
    }
    await run.flush();
    return run;
  }

  async resumeRun(id: string): Promise<RunState> {
    this.checkOpen();
    const run = this.registry.require(id);
    if (run.phase === 'FINISHED') throw new FailedPrecondition(`run ${id} has finished; there is nothing to resume`);
    if (run.phase === 'STOPPING') throw new FailedPrecondition(`run ${id} is being stopped; resume it once it is STOPPED`);
    if (run.phase === 'QUEUED') return run; // it starts when a pair frees
    if (isFollowed(run.phase)) {
      if (!this.followers.has(id)) this.follow(run, 'probe');
      return run;
    }
    const rec = run.record;
    if (readRunConfig(rec.run_dir) === undefined) throw new FailedPrecondition(`run ${id}: ${rec.run_dir}/run.config.json is missing; it cannot be resumed`);
    const pair = this.queue.length === 0 ? this.freePair(rec.student) : undefined;
    if (!pair) {
      run.update({ phase: 'QUEUED', student: '', teacher: '', error: '' }, { message: 'queued: every student has a run' });
      this.enqueue(run, true);
      await run.flush();
      return run;
    }
    run.update({ phase: 'STARTING', error: '', student: pair.student.address, teacher: pair.teacher.address }, { message: `resuming from ${latestCheckpointOf(rec.run_dir)?.path ?? 'the start (no checkpoint yet)'}` });
    await this.launch(run, true, 'resume');
    return run;
  }

  /** The gRPC implementation. */
  readonly impl: ServiceImpl<OrchestratorHandlers> = {
    // every answer is on disk first: what a client reads, run.json says too (writes pending
    // behind the throttle are flushed)
    StartRun: async (req) => flushed(await this.startRun(req)),
    StopRun: async (req) => flushed(await this.stopRun(checkRunId(req.run_id))),
    ResumeRun: async (req) => flushed(await this.resumeRun(checkRunId(req.run_id))),
    GetRun: async (req) => flushed(this.registry.require(checkRunId(req.run_id))),
    ListRuns: async () => {
      await Promise.all(this.registry.all().map((r) => r.flush()));
      return { runs: this.registry.list().map(toRunInfo) };
    },
    WatchRun: async (req, ctx) => {
      const run = this.registry.require(checkRunId(req.run_id));
      const q = run.subscribe();
      try {
        for await (const p of q.iterate(ctx.signal)) {
          if (!(await ctx.send(p))) break;
        }
      } finally {
        run.unsubscribe(q);
      }
    },
    Evaluate: async (req) => {
      const run = this.registry.require(checkRunId(req.run_id));
      const ev = await evaluateRun(run.record, { limit: req.limit, outDir: req.out_dir }, {
        teacher: this.teacherOf(run), predictDeadlineMs: this.o.predictDeadlineMs, maxMessageBytes: this.o.maxMessageBytes, overlays: this.o.evalOverlays, logger: this.o.logger,
      });
      const r = ev.result;
      const miou = Number.isFinite(r.mIoU) ? r.mIoU : null;
      run.update({
        ...(miou !== null ? { miou } : {}),
        last_eval: { miou, split: ev.split, images: r.images, teacher_version: ev.weights.version, at: new Date().toISOString() },
      }, { force: true, message: `evaluated on ${ev.split}: mIoU ${miou === null ? 'n/a' : miou.toFixed(4)}` });
      if (miou !== null) this.o.metrics?.orchestrator.evalMiou.set(miou);
      this.o.logger.info('evaluated', { run_id: run.id, split: ev.split, miou, images: r.images, teacher_version: ev.weights.version, local: ev.local });
      return {
        run_id: run.id, miou: r.mIoU, pixel_accuracy: r.pixelAccuracy, class_iou: Object.fromEntries(r.classes.map((c, i) => [c, r.iou[i]!])),
        weights: ev.weights, split: ev.split, images: r.images,
      };
    },
    Export: async (req) => {
      const run = this.registry.require(checkRunId(req.run_id));
      const target = requireString(req.path, 'path');
      const out = await exportRunModel(run.record, target);
      this.o.logger.info('exported', { run_id: run.id, path: out.path, sha256: out.sha256, sidecar: out.sidecar });
      return { path: out.path, sha256: out.sha256, weights: { version: out.version, digest: '' } };
    },
  };

  /**
   * Stops following every run (phases untouched: a restarted orchestrator re-attaches), writes
   * every run.json and closes the clients.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.heads?.stop();
    const ids = [...this.followers.keys()];
    await Promise.all(ids.map((id) => this.unfollow(id)));
    await this.registry.close();
    for (const p of this.studentPeers.values()) p.client.close();
    for (const p of this.teacherPeers.values()) p.client.close();
  }

  /** True once the registry is loaded (health SERVING). */
  get ready(): boolean {
    return this.registry.isLoaded && !this.closing;
  }
}

/** Is `dir` usable as runsRoot (creatable, writable)? Throws a plain Error saying why not. */
export function checkRunsRoot(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.accessSync(dir, fs.constants.W_OK);
}
