/**
 * Test doubles and helpers for the orchestrator tests (real gRPC on loopback):
 *
 * - FakeStudent: a real sfda.v1.Student server (lib/services/grpc helpers) that "runs" a run
 *   by advancing one step per `tickMs` timer tick, writing checkpoints/latest.json every
 *   `checkpointEvery` steps (and on stop), streaming Progress to watchers, and at the end
 *   writing what adapt-run writes (teacher.model.ckpt — a copy of the source model —,
 *   model.onnx + sidecar, results.json). StartRun(resume=true) continues from latest.json.
 *   kill() is a crash: timers stop, the server is forced down (streams fail, no checkpoint).
 * - FakeTeacher: Teacher.Predict through a real model file for the runs it has "loaded",
 *   NOT_FOUND for others.
 * - a tiny real source model and adaptation config, and the orchestrator started in-process
 *   through startService (the process skeleton the real binary uses).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, loadSegModel, saveSegModel } from '../../lib/model/model-file.js';
import { openModel, type OpenedModel } from '../../lib/model/model-predictor.js';
import {
  createServer, decodeTensor, encodeTensor, FailedPrecondition, NotFound, requireString, Unimplemented,
  type GrpcServer, type ServerStreamContext, type ServiceImpl,
} from '../../lib/services/grpc/index.js';
import { orchestratorService } from '../../lib/services/orchestrator/process.js';
import type { Orchestrator } from '../../lib/services/orchestrator/service.js';
import { startService, type RunningService } from '../../lib/services/process/service-main.js';
import { writeFileAtomic } from '../../lib/util/atomic-write.js';
import type { Progress } from '../../proto/gen/sfda/v1/Progress.js';
import type { StartRunRequest__Output } from '../../proto/gen/sfda/v1/StartRunRequest.js';
import type { StudentHandlers } from '../../proto/gen/sfda/v1/Student.js';
import type { StudentState } from '../../proto/gen/sfda/v1/StudentState.js';
import type { TeacherHandlers } from '../../proto/gen/sfda/v1/Teacher.js';

export const TOKEN = 'orchestrator-test-token';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until it holds (returns its value) or `ms` passes (throws `what`). */
export async function until<T>(cond: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// ---- the fake student ----

interface FakeRun {
  req: StartRunRequest__Output;
  step: number;
  iterations: number;
  phase: string;
  lastCheckpoint: string;
  timer?: NodeJS.Timeout;
  watchers: Set<(p: Progress, end: boolean) => void>;
}

export interface FakeStudentOptions {
  /** Port to bind (0: any). */
  port?: number;
  tickMs?: number;
  checkpointEvery?: number;
  /** Bearer token the server requires. */
  token?: string;
  /** Fail the run (phase FAILED) at this step. */
  failAt?: number;
  /** StopRun takes this long before it stops the run (a long step and checkpoint). */
  stopDelayMs?: number;
  /** Like the real student: StartRun while another run is RUNNING is FAILED_PRECONDITION. */
  oneRun?: boolean;
}

export class FakeStudent {
  readonly runs = new Map<string, FakeRun>();
  /** Every StartRun request received. */
  readonly starts: StartRunRequest__Output[] = [];
  readonly stops: string[] = [];
  /** The step each StartRun began at (the checkpoint's on resume). */
  readonly startSteps: number[] = [];
  /** Steps do not advance while true. */
  paused = false;
  private killed = false;

  private constructor(readonly server: GrpcServer, readonly port: number, private readonly o: FakeStudentOptions) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(o: FakeStudentOptions = {}): Promise<FakeStudent> {
    const server = createServer(o.token ? { token: o.token } : {});
    let self: FakeStudent | undefined;
    const impl: ServiceImpl<StudentHandlers> = {
      StartRun: (req) => self!.startRun(req),
      StopRun: async (req) => {
        const id = requireString(req.run_id, 'run_id');
        if (o.stopDelayMs) await sleep(o.stopDelayMs);
        return self!.stopRun(id);
      },
      GetState: (req) => self!.state(self!.get(requireString(req.run_id, 'run_id'))),
      Watch: (req, ctx) => self!.watch(requireString(req.run_id, 'run_id'), ctx),
    };
    server.add('Student', impl);
    const port = await server.bind(`127.0.0.1:${o.port ?? 0}`);
    self = new FakeStudent(server, port, o);
    server.setServing(true);
    return self;
  }

  private get(id: string): FakeRun {
    const r = this.runs.get(id);
    if (!r) throw new NotFound(`run '${id}' is not on this student`);
    return r;
  }

  state(r: FakeRun): StudentState {
    return {
      run_id: r.req.run_id, phase: r.phase, step: r.step, iterations: r.iterations, teacher_version: r.step,
      published_version: r.step, last_checkpoint: r.lastCheckpoint, error: r.phase === 'FAILED' ? `failed at step ${r.step}` : '', provider: 'cpu',
    };
  }

  private progress(r: FakeRun): Progress {
    return {
      run_id: r.req.run_id, step: r.step, iterations: r.iterations, metrics: { loss: 1 / (1 + r.step) }, teacher_version: Math.max(0, r.step - 1),
      phase: r.phase, miou: Number.NaN, message: r.phase === 'FAILED' ? `failed at step ${r.step}` : '', wall_s: r.step * 0.01,
    };
  }

  private emit(r: FakeRun): void {
    const end = r.phase === 'FINISHED' || r.phase === 'FAILED' || r.phase === 'STOPPED';
    const p = this.progress(r);
    for (const w of [...r.watchers]) w(p, end);
    if (end) r.watchers.clear();
  }

  private startRun(req: StartRunRequest__Output): StudentState {
    this.starts.push(req);
    requireString(req.run_id, 'run_id');
    requireString(req.run_dir, 'run_dir');
    const prev = this.runs.get(req.run_id);
    if (prev && (prev.phase === 'RUNNING' || prev.phase === 'STARTING')) return this.state(prev);
    const busy = [...this.runs.values()].find((r) => r.phase === 'RUNNING' || r.phase === 'STARTING');
    if (this.o.oneRun && busy) throw new FailedPrecondition(`this student is running run '${busy.req.run_id}'; stop it or use another student`);
    const cfg = JSON.parse(req.config_json) as { iterations: number };
    const latest = path.join(req.run_dir, 'checkpoints', 'latest.json');
    const step = req.resume && fs.existsSync(latest) ? (JSON.parse(fs.readFileSync(latest, 'utf8')) as { step: number }).step : 0;
    fs.mkdirSync(path.join(req.run_dir, 'checkpoints'), { recursive: true });
    if (!fs.existsSync(path.join(req.run_dir, 'config.json'))) fs.writeFileSync(path.join(req.run_dir, 'config.json'), `${req.config_json}\n`);
    this.startSteps.push(step);
    const r: FakeRun = { req, step, iterations: cfg.iterations, phase: 'RUNNING', lastCheckpoint: '', watchers: prev?.watchers ?? new Set() };
    this.runs.set(req.run_id, r);
    r.timer = setInterval(() => void this.tick(r), this.o.tickMs ?? 20);
    return this.state(r);
  }

  private checkpoint(r: FakeRun): void {
    const dir = path.join(r.req.run_dir, 'checkpoints');
    const file = `step-${String(r.step).padStart(7, '0')}.ckpt`;
    fs.writeFileSync(path.join(dir, file), `fake checkpoint at ${r.step}\n`);
    fs.writeFileSync(path.join(dir, '.latest.tmp'), JSON.stringify({ step: r.step, file }));
    fs.renameSync(path.join(dir, '.latest.tmp'), path.join(dir, 'latest.json'));
    r.lastCheckpoint = path.join(dir, file);
  }

  private busy = false;

  private async tick(r: FakeRun): Promise<void> {
    if (this.paused || this.killed || r.phase !== 'RUNNING' || this.busy) return;
    this.busy = true;
    try {
      r.step++;
      if (this.o.failAt !== undefined && r.step >= this.o.failAt) {
        clearInterval(r.timer);
        r.phase = 'FAILED';
      } else if (r.step >= r.iterations) {
        clearInterval(r.timer);
        this.checkpoint(r);
        await this.finish(r);
        r.phase = 'FINISHED';
      } else if (r.step % (this.o.checkpointEvery ?? 3) === 0) {
        this.checkpoint(r);
      }
      if (!this.killed) this.emit(r);
    } finally {
      this.busy = false;
    }
  }

  /** What adapt-run writes at the end of a run. */
  private async finish(r: FakeRun): Promise<void> {
    const d = r.req.run_dir;
    fs.copyFileSync(r.req.source_model, path.join(d, 'teacher.model.ckpt'));
    await writeFileAtomic(path.join(d, 'model.onnx.json'), JSON.stringify((await loadSegModel(r.req.source_model)).meta));
    await writeFileAtomic(path.join(d, 'model.onnx'), Buffer.from(`fake onnx model of ${r.req.run_id}`));
    await writeFileAtomic(path.join(d, 'results.json'), JSON.stringify({ method: 'stvm', iterations: r.iterations, teacher_version: r.step, teacher: { mIoU: 0.4242 } }));
  }

  private stopRun(id: string): StudentState {
    this.stops.push(id);
    const r = this.get(id);
    if (r.phase === 'RUNNING') {
      clearInterval(r.timer);
      this.checkpoint(r);
      r.phase = 'STOPPED';
      this.emit(r);
    }
    return this.state(r);
  }

  private async watch(id: string, ctx: ServerStreamContext<Progress>): Promise<void> {
    const r = this.get(id);
    const queue: { p: Progress; end: boolean }[] = [{ p: this.progress(r), end: r.phase !== 'RUNNING' }];
    let wake: (() => void) | undefined;
    const w = (p: Progress, end: boolean): void => {
      queue.push({ p, end });
      wake?.();
    };
    if (r.phase === 'RUNNING') r.watchers.add(w);
    ctx.signal.addEventListener('abort', () => wake?.());
    try {
      for (;;) {
        const item = queue.shift();
        if (!item) {
          if (ctx.signal.aborted) return;
          await new Promise<void>((res) => { wake = res; });
          continue;
        }
        if (!(await ctx.send(item.p)) || item.end) return;
      }
    } finally {
      r.watchers.delete(w);
    }
  }

  /** A crash: timers stop (no checkpoint), the server is forced down. */
  kill(): void {
    this.killed = true;
    for (const r of this.runs.values()) clearInterval(r.timer);
    this.server.server.forceShutdown();
  }

  /** Orderly shutdown (tests' cleanup). */
  async close(): Promise<void> {
    this.killed = true;
    for (const r of this.runs.values()) clearInterval(r.timer);
    await this.server.shutdown(500);
  }
}

// ---- the fake teacher ----

export class FakeTeacher {
  /** Runs whose Predict answers (others: NOT_FOUND). */
  readonly loaded = new Set<string>();
  predictCalls = 0;

  private constructor(readonly server: GrpcServer, readonly address: string) {}

  static async start(model: OpenedModel, token?: string): Promise<FakeTeacher> {
    const server = createServer(token ? { token } : {});
    let self: FakeTeacher | undefined;
    const no = (n: string) => () => { throw new Unimplemented(`${n} is not in the fake teacher`); };
    const impl: ServiceImpl<TeacherHandlers> = {
      LoadRun: no('LoadRun'), Label: no('Label'), SyncWeights: no('SyncWeights'), ExportState: no('ExportState'), ImportState: no('ImportState'), GetState: no('GetState'),
      Predict: async (req) => {
        const id = requireString(req.run_id, 'run_id');
        if (!self!.loaded.has(id)) throw new NotFound(`run '${id}' is not loaded on this teacher`);
        self!.predictCalls++;
        const images = decodeTensor(req.images, 'images', { dtype: 'float32', rank: 4 });
        const labels = await model.predict(images);
        const [n, , h, w] = images.shape as number[];
        return { weights: { version: 7, digest: 'fake' }, labels: encodeTensor({ dtype: 'uint8', shape: [n!, h!, w!], data: labels }, 'labels') };
      },
    };
    server.add('Teacher', impl);
    const port = await server.bind('127.0.0.1:0');
    server.setServing(true);
    self = new FakeTeacher(server, `127.0.0.1:${port}`);
    return self;
  }

  async close(): Promise<void> {
    await this.server.shutdown(500);
  }
}

// ---- a tiny source model and config ----

/** A tiny real source model (camvid11) and a config whose eval split is 2 SynthStreet frames of 64x48. */
export async function tinySetup(dir: string): Promise<{ source: string; config: Record<string, unknown> }> {
  const spec = smallDeepLabSpec({ widths: [8, 8, 16, 16], stemWidth: 8, numClasses: 11, asppDilations: [1, 2], bn: 'train', seed: 3 });
  const { g } = createDeepLab(spec, 1, 33, 33);
  const source = path.join(dir, 'source.model.ckpt');
  await saveSegModel(source, {
    meta: { format: 'stvm-segmodel', version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes: PROTOCOLS.camvid11.classes, inputSize: [64, 48] },
    tensors: new Map(g.graph.initializers),
  });
  const config = {
    name: 'tiny', iterations: 12, batch: 2,
    target: { source: 'synthstreet', style: 'dusk', count: 4, width: 64, height: 48 },
    augment: { cropWidth: 48, cropHeight: 40 },
    eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48, batch: 2 },
    stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
    runtime: { threads: 1 },
  };
  return { source, config };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---- the orchestrator, in-process ----

export interface StartedOrchestrator {
  service: RunningService;
  orch: Orchestrator;
  address: string;
}

/** The orchestrator through startService (settings as flags), with fast timers. */
export async function startOrchestrator(o: { runsRoot: string; student: string; teacher: string; token?: string; extra?: string[] }): Promise<StartedOrchestrator> {
  let orch: Orchestrator | undefined;
  const argv = [
    '--grpc.port', '0', '--metrics.enabled', 'false', '--log.level', 'error', '--orchestrator.runsRoot', o.runsRoot,
    // '' leaves the setting out (orchestrator.pairs / students given in extra)
    ...(o.student ? ['--orchestrator.student', o.student] : []), ...(o.teacher ? ['--orchestrator.teacher', o.teacher] : []),
    '--orchestrator.retryBaseMs', '20', '--orchestrator.retryMaxMs', '150', '--orchestrator.persistMs', '50',
    '--orchestrator.callDeadlineMs', '2000', '--orchestrator.runCallDeadlineMs', '5000', '--grpc.shutdownDeadlineMs', '1000',
    ...(o.token ? ['--auth.token', o.token] : []),
    ...(o.extra ?? []),
  ];
  const service = await startService({ ...orchestratorService({ onOpen: (x) => { orch = x; } }), argv, env: {} });
  if (!service || !orch) throw new Error('orchestrator did not start');
  return { service, orch, address: service.address };
}

/** The test's model for the fake teacher. */
export function openTiny(source: string): Promise<OpenedModel> {
  return openModel(source, { threads: 1 });
}
