/**
 * The student service's logic (sfda.v1.Student): it runs adaptation runs — the same
 * lib/train/adapt-run.ts as the single-process `adapt` command — with the teacher service as
 * the run's TeacherPort (RemoteTeacher: images and pseudo-labels over gRPC, weights through
 * NATS). One run at a time per student; StartRun of the run already running is idempotent;
 * `resume` continues from the run folder's latest checkpoint (exact resume). StopRun and
 * SIGTERM stop after the current iteration with a checkpoint. Progress goes to Watch streams
 * and to the metrics.
 */
import path from 'node:path';
import type { EvaluationResult } from '../../eval/results.js';
import type { StepMetrics } from '../../method/algorithm.js';
import type { Logger } from '../../run/logger.js';
import type { AdaptConfig } from '../../train/adapt-config.js';
import { resolveRunConfig } from '../run-config.js';
import { adaptConfigJson, adaptRun } from '../../train/adapt-run.js';
import { latestCheckpoint } from '../../train/loop.js';
import type { Progress } from '../../../proto/gen/sfda/v1/Progress.js';
import type { StudentState } from '../../../proto/gen/sfda/v1/StudentState.js';
import type { ClientConfig } from '../grpc/client.js';
import { FailedPrecondition, InvalidArgument, NotFound } from '../grpc/errors.js';
import type { ServiceImpl } from '../grpc/handlers.js';
import type { HandlersOf } from '../grpc/proto.js';
import { requireString } from '../grpc/validate.js';
import type { ServiceMetrics } from '../metrics/index.js';
import { providerForRun, type ProcessProvider } from '../process/runtime.js';
import type { WeightStore } from '../sync/index.js';
import { RemoteTeacher } from '../teacher/remote-teacher.js';

export type RunPhase = 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FINISHED' | 'FAILED';

interface ActiveRun {
  readonly id: string;
  readonly dir: string;
  readonly cfg: AdaptConfig;
  readonly mode: 'sync' | 'pipelined';
  readonly abort: AbortController;
  phase: RunPhase;
  step: number;
  teacherVersion: number;
  metrics: StepMetrics;
  miou: number;
  wallS: number;
  error: string;
  provider: string;
  done: Promise<void>;
  readonly watchers: Set<(p: Progress) => void>;
}

export interface StudentServiceOptions {
  readonly store: WeightStore;
  readonly metrics: ServiceMetrics<'student'>;
  readonly logger: Logger;
  /** The teacher's address when a StartRun names none. */
  readonly teacher: string;
  readonly teacherClient?: ClientConfig;
  /** Reliabilities/confidences quantised to 8 or 16 bits in pipelined runs (0: float32). */
  readonly pipelinedQuantizeBits?: 0 | 8 | 16;
  /** The process's execution provider (runtime.provider setting; default: each run config's). */
  readonly provider?: ProcessProvider;
}

const ENDED: readonly RunPhase[] = ['STOPPED', 'FINISHED', 'FAILED'];

export class StudentService {
  private readonly runs = new Map<string, ActiveRun>();

  constructor(private readonly o: StudentServiceOptions) {}

  private state(r: ActiveRun): StudentState {
    const ck = latestCheckpoint(path.join(r.dir, 'checkpoints'));
    return {
      run_id: r.id, phase: r.phase, step: r.step, iterations: r.cfg.iterations, teacher_version: r.teacherVersion,
      published_version: r.teacherVersion, last_checkpoint: ck?.path ?? '', error: r.error, provider: r.provider,
    };
  }

  private progress(r: ActiveRun, message = ''): Progress {
    return {
      run_id: r.id, step: r.step, iterations: r.cfg.iterations, metrics: Object.fromEntries(Object.entries(r.metrics).filter(([, v]) => Number.isFinite(v))),
      teacher_version: r.teacherVersion, phase: r.phase, miou: r.miou, message, wall_s: r.wallS,
    };
  }

  private emit(r: ActiveRun, message = ''): void {
    const p = this.progress(r, message);
    for (const w of r.watchers) w(p);
  }

  private active(): ActiveRun | undefined {
    for (const r of this.runs.values()) if (!ENDED.includes(r.phase)) return r;
    return undefined;
  }

  start(req: { run_id: string; run_dir: string; config_json: string; source_model: string; resume: boolean; mode: string | number; max_staleness: number; teacher_address: string }): StudentState {
    const id = requireString(req.run_id, 'run_id');
    const have = this.runs.get(id);
    if (have && !ENDED.includes(have.phase)) return this.state(have);
    const busy = this.active();
    if (busy) throw new FailedPrecondition(`this student is running run '${busy.id}'; stop it or use another student`);
    const dir = requireString(req.run_dir, 'run_dir');
    const { cfg } = resolveRunConfig({ config_json: req.config_json, source_model: req.source_model, overrides: {} }, { checkSourceExists: false });
    const mode = req.mode === 'SYNC_MODE_PIPELINED' || req.mode === 2 ? 'pipelined' : 'sync';
    const staleness = mode === 'pipelined' ? Math.max(1, req.max_staleness || 2) : 0;
    if (mode === 'pipelined' && staleness < cfg.stvm.ema.every) throw new InvalidArgument(`max_staleness: ${staleness} is below stvm.ema.every ${cfg.stvm.ema.every}`);
    const teacherAddress = req.teacher_address || this.o.teacher;
    const run: ActiveRun = {
      id, dir, cfg, mode, abort: new AbortController(), phase: 'STARTING', step: 0, teacherVersion: 0, metrics: {}, miou: NaN,
      wallS: 0, error: '', provider: '', done: Promise.resolve(), watchers: have?.watchers ?? new Set(),
    };
    this.runs.set(id, run);
    const m = this.o.metrics;
    let last = performance.now();
    run.done = (async () => {
      try {
        const provider = await providerForRun(this.o.provider ?? { requested: 'run' }, cfg.runtime, this.o.logger, id);
        run.provider = provider;
        m.provider.setProvider(provider);
        const res = await adaptRun({
          cfg, out: dir, resume: req.resume, console: 'none', progress: false, signal: run.abort.signal, provider,
          ...(staleness ? { maxStaleness: staleness } : {}),
          teacher: async (_settings, ctx) => RemoteTeacher.connect({
            address: teacherAddress, ...(this.o.teacherClient ? { client: this.o.teacherClient } : {}), store: this.o.store, runId: id, seed: cfg.seed,
            configJson: adaptConfigJson(cfg), configHash: ctx.configHash, sourceModel: ctx.sourceFile, paramNames: new Set(ctx.model.tensors.keys()),
            quantizeBits: mode === 'pipelined' ? this.o.pipelinedQuantizeBits ?? 0 : 0, logger: this.o.logger,
            onCall: (method, code, seconds) => m.grpc.observeClient(method, code, seconds),
          }),
          onStep: (t, metrics, wallS) => {
            const now = performance.now();
            run.phase = 'RUNNING';
            run.step = t + 1;
            run.metrics = metrics;
            run.wallS = wallS;
            run.teacherVersion = metrics['teacher_version'] ?? run.teacherVersion;
            if (metrics['warmup'] !== 1) m.student.recordStep({ seconds: (now - last) / 1000, images: cfg.batch, loss: metrics['student_loss'] ?? metrics['loss'] ?? NaN });
            last = now;
            m.sync.teacherVersion.set(run.teacherVersion);
            if (metrics['staleness'] !== undefined) {
              m.sync.staleness.set(metrics['staleness']);
              m.sync.publishedVersion.set(run.teacherVersion + metrics['staleness']);
            }
            this.emit(run);
          },
          onEval: (_t: number, ev: EvaluationResult) => {
            run.miou = ev.mIoU;
            this.emit(run, `diagnostic evaluation: mIoU ${(100 * ev.mIoU).toFixed(1)} %`);
          },
        });
        run.phase = res.loop.stopped ? 'STOPPED' : 'FINISHED';
        run.step = res.loop.iterations;
        const teacher = (res.results?.['teacher'] as { mIoU?: number } | undefined)?.mIoU;
        if (teacher !== undefined) run.miou = teacher;
        this.o.logger.info(`run ${run.phase.toLowerCase()}`, { run: id, step: run.step, miou: Number.isFinite(run.miou) ? run.miou : null });
        this.emit(run, run.phase === 'FINISHED' ? 'finished' : 'stopped with a checkpoint');
      } catch (e) {
        run.phase = 'FAILED';
        run.error = (e as Error).message;
        this.o.logger.error('run failed', { run: id, error: (e as Error).stack ?? run.error });
        this.emit(run, run.error);
      } finally {
        for (const w of run.watchers) w({ ...this.progress(run), message: '__end__' });
        run.watchers.clear();
      }
    })();
    this.o.logger.info('run started', { run: id, dir, mode, max_staleness: staleness, resume: req.resume, teacher: teacherAddress });
    return this.state(run);
  }

  async stop(id: string): Promise<StudentState> {
    const r = this.runs.get(requireString(id, 'run_id'));
    if (!r) throw new NotFound(`run '${id}' is not on this student`);
    if (!ENDED.includes(r.phase)) {
      r.phase = 'STOPPING';
      r.abort.abort();
      await r.done;
    }
    return this.state(r);
  }

  /** SIGTERM: stop the active run with a checkpoint. */
  async drain(): Promise<void> {
    const r = this.active();
    if (r) await this.stop(r.id);
  }

  readonly handlers: ServiceImpl<HandlersOf<'Student'>> = {
    StartRun: (req) => this.start(req),
    StopRun: (req) => this.stop(req.run_id),
    GetState: (req) => {
      const r = this.runs.get(requireString(req.run_id, 'run_id'));
      if (!r) throw new NotFound(`run '${req.run_id}' is not on this student`);
      return this.state(r);
    },
    Watch: async (req, ctx) => {
      const r = this.runs.get(requireString(req.run_id, 'run_id'));
      if (!r) throw new NotFound(`run '${req.run_id}' is not on this student`);
      if (!(await ctx.send(this.progress(r)))) return;
      if (ENDED.includes(r.phase)) return;
      const queue: Progress[] = [];
      let wake: (() => void) | undefined;
      const w = (p: Progress) => {
        queue.push(p);
        wake?.();
      };
      r.watchers.add(w);
      try {
        for (;;) {
          while (queue.length === 0) {
            if (ctx.signal.aborted) return;
            await new Promise<void>((res) => {
              wake = res;
              ctx.signal.addEventListener('abort', () => res(), { once: true });
            });
            wake = undefined;
          }
          const p = queue.shift()!;
          if (p.message === '__end__') return;
          // only the newest of a backlog of step events matters to a watcher
          if (queue.length > 0 && p.message === '' && queue[queue.length - 1]!.message === '') continue;
          if (!(await ctx.send(p))) return;
        }
      } finally {
        r.watchers.delete(w);
      }
    },
  };

  async close(): Promise<void> {
    for (const r of this.runs.values()) if (!ENDED.includes(r.phase)) r.abort.abort();
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }
}
