/**
 * The orchestrator: sfda.v1.Orchestrator over a run registry (run.json files under runsRoot),
 * the student service (which runs the adaptation loop) and the teacher service (evaluation).
 *
 *   StartRun   validate the config (overrides, source) → reserve <runsRoot>/<run_id> → write
 *              run.config.json and run.json (STARTING) → Student.StartRun (retried while
 *              UNAVAILABLE) → RUNNING, followed (follower.ts). A student that refuses or stays
 *              unreachable leaves the run FAILED with the reason (ResumeRun retries).
 *   StopRun    STOPPING → Student.StopRun (stops after the current step with a checkpoint) →
 *              STOPPED with that checkpoint. A student that is gone or no longer has the run:
 *              STOPPED at the latest checkpoint on disk.
 *   ResumeRun  a STOPPED or FAILED run → Student.StartRun(resume=true) → followed again.
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
import { isFollowed, mergeStudentPhase } from './phases.js';
import { RunRegistry } from './registry.js';
import { resolveRunConfig } from '../run-config.js';
import { latestCheckpointOf, readResults, readRunConfig, writeRunConfig } from './run-files.js';
import { checkRunId, makeRunId } from './run-id.js';
import { RUN_MODES, toRunInfo, type RunMode, type RunRecord } from './run-record.js';
import type { RunState } from './run-state.js';
import { WeightsHeadTracker, type WeightsHeadSource } from './weights-head.js';
import { describeError, isCode, isTransientError, startRunRequest } from './student-calls.js';

/** The metric groups the orchestrator updates. */
export type OrchestratorMetricGroups = Pick<ServiceMetrics<'orchestrator'>, 'orchestrator' | 'sync' | 'checkpoint'>;

export interface OrchestratorOptions {
  /** Folder of the run directories (created when missing). */
  readonly runsRoot: string;
  readonly student: Endpoint;
  readonly teacher: Endpoint;
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

export class Orchestrator {
  readonly registry: RunRegistry;
  readonly student: Peer<'Student'>;
  readonly teacher: Peer<'Teacher'>;
  private readonly followers = new Map<string, RunFollower>();
  private readonly heads: WeightsHeadTracker | undefined;
  private closing = false;

  private constructor(private readonly o: OrchestratorOptions) {
    const clientOpts = { ...(o.token ? { token: o.token } : {}), deadlineMs: o.callDeadlineMs, maxMessageBytes: o.maxMessageBytes, policy: o.policy };
    this.student = makePeer('Student', o.student.address, peerClientConfig(o.student, clientOpts));
    this.teacher = makePeer('Teacher', o.teacher.address, peerClientConfig(o.teacher, clientOpts));
    const m = o.metrics;
    this.registry = new RunRegistry({
      runsRoot: o.runsRoot, persistMs: o.persistMs, logger: o.logger,
      onPhases: (phases) => m?.orchestrator.setRunPhases(phases),
      hooks: {
        onPhase: (run, from, to) => o.logger.info('run phase', { run_id: run.id, from, to, step: run.record.step, ...(run.record.error ? { error: run.record.error } : {}) }),
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
      else if (isFollowed(run.phase)) orch.follow(run, 'probe');
    }
    orch.heads?.start(() => [...orch.followers.values()].map((f) => f.run));
    return orch;
  }

  /** Runs followed now (tests, diagnostics). */
  get followed(): string[] {
    return [...this.followers.keys()];
  }

  private follow(run: RunState, first: 'watch' | 'probe'): void {
    if (this.closing || this.followers.has(run.id)) return;
    const f = new RunFollower(run, {
      student: this.student, policy: this.o.policy, maxRestarts: this.o.maxRestarts, livenessMs: this.o.livenessMs,
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
  private studentError(call: string, e: unknown, extra = ''): Error {
    if (e instanceof GrpcError) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code > 0 && code <= 16) return new GrpcError(code, `student at ${this.o.student.address}: ${call}: ${(e as { details?: string }).details ?? (e as Error).message}${extra}`);
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
    const rec: RunRecord = {
      run_id: id, phase: 'STARTING', created: now, updated: now, mode, max_staleness: maxStaleness, method: rc.cfg.name,
      source_model: rc.sourceModel, run_dir: this.registry.runDir(id), step: 0, iterations: rc.cfg.iterations, teacher_version: 0,
      last_checkpoint: '', error: '', miou: null, student: this.o.student.address, teacher: this.o.teacher.address, restarts: 0,
      wall_s: 0, metrics: {},
    };
    const run = await this.registry.create(rec, (dir) => writeRunConfig(dir, rc.json));
    this.o.logger.info('run created', { run_id: id, run_dir: rec.run_dir, mode, max_staleness: maxStaleness, iterations: rc.cfg.iterations, source: rc.sourceModel });
    try {
      const st = await withRetry(() => unary(this.student.client, 'StartRun', startRunRequest(rec, rc.json, false), { deadlineMs: this.o.runCallDeadlineMs }), {
        ...this.retryOpts(),
        onRetry: (e, attempt, delay) => this.o.logger.warn('Student.StartRun retry', { run_id: id, attempt, delay_ms: Math.round(delay), error: describeError(e) }),
      });
      run.update({ phase: mergeStudentPhase('STARTING', st.phase), step: st.step, iterations: st.iterations || rec.iterations, teacher_version: st.teacher_version });
    } catch (e) {
      run.update({ phase: 'FAILED', error: `Student.StartRun failed: ${describeError(e)}` });
      await run.flush();
      throw this.studentError('StartRun', e, isCode(e, status.UNAVAILABLE) ? ` (the run ${id} is recorded FAILED; ResumeRun starts it)` : '');
    }
    this.followAfterStart(run);
    return run;
  }

  async stopRun(id: string): Promise<RunState> {
    const run = this.registry.require(id);
    if (run.phase === 'STOPPED') return run;
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
      const st = await withRetry(() => unary(this.student.client, 'StopRun', { run_id: id }, { deadlineMs: this.o.runCallDeadlineMs }), this.retryOpts(prev === 'RECOVERING' ? 0 : undefined));
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
        throw this.studentError('StopRun', e);
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
    if (isFollowed(run.phase)) {
      if (!this.followers.has(id)) this.follow(run, 'probe');
      return run;
    }
    const rec = run.record;
    const json = readRunConfig(rec.run_dir);
    if (json === undefined) throw new FailedPrecondition(`run ${id}: ${rec.run_dir}/run.config.json is missing; it cannot be resumed`);
    run.update({ phase: 'STARTING', error: '' }, { message: `resuming from ${latestCheckpointOf(rec.run_dir)?.path ?? 'the start (no checkpoint yet)'}` });
    try {
      const st = await withRetry(() => unary(this.student.client, 'StartRun', startRunRequest(rec, json, true), { deadlineMs: this.o.runCallDeadlineMs }), this.retryOpts());
      run.update({
        phase: mergeStudentPhase('STARTING', st.phase), step: st.step, ...(st.iterations ? { iterations: st.iterations } : {}),
        ...(st.last_checkpoint ? { last_checkpoint: st.last_checkpoint } : {}),
      }, { message: `resumed at step ${st.step}` });
    } catch (e) {
      run.update({ phase: 'FAILED', error: `Student.StartRun(resume) failed: ${describeError(e)}` });
      await run.flush();
      throw this.studentError('StartRun(resume)', e);
    }
    this.followAfterStart(run);
    return run;
  }

  /** The gRPC implementation. */
  readonly impl: ServiceImpl<OrchestratorHandlers> = {
    StartRun: async (req) => (await this.startRun(req)).info(),
    StopRun: async (req) => (await this.stopRun(checkRunId(req.run_id))).info(),
    ResumeRun: async (req) => (await this.resumeRun(checkRunId(req.run_id))).info(),
    GetRun: (req) => this.registry.require(checkRunId(req.run_id)).info(),
    ListRuns: () => ({ runs: this.registry.list().map(toRunInfo) }),
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
        teacher: this.teacher, predictDeadlineMs: this.o.predictDeadlineMs, maxMessageBytes: this.o.maxMessageBytes, overlays: this.o.evalOverlays, logger: this.o.logger,
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
    this.student.client.close();
    this.teacher.client.close();
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
