/**
 * STvM self-training (stvm-method.md "Algorithm"), an Algorithm (lib/method/algorithm.ts)
 * driving a TeacherPort and a StudentPort (ports.ts): in one process both are local; in the
 * services the teacher is the teacher service's gRPC client. Iteration t:
 *
 *   x            = target batch of iteration t (images only)
 *   ŷ, q, r      = teacher.label(t, x): forward, metric step on (m, proxies), reliability
 *                  ↑ bilinear to the crop (teacher-core.ts; no gradient into the teacher)
 *   — for t < K_w (metric warm-up) the iteration ends here —
 *   x̃, ỹ, (q̃, r̃) = mix(x, ŷ, q, r; one mask per image)       none | classmix-random | mocm
 *   f            ← running pseudo-label class frequency of ŷ     (class-balance.ts; saved with the state)
 *   w            = weighting(mixed view)                        reliability | uniform | confidence | …
 *                  × class weights t_ỹ, rescaled to keep Σ w    (stvm.classBalance; off by default)
 *   x̃            ← strong photometric augmentation (x̃)
 *   L_student    = (1/N_v) Σ_i w_i·CE(S(x̃)_i, ỹ_i)   → SGD step, lr = poly(t − K_w)
 *                  (+ the same loss on the un-mixed batch x, ŷ, weighting(view) with mocm.unmixedLoss)
 *   teacher.update(v = t − K_w + 1, θ_s)   every ema.every student steps:
 *                  θ_t ← α θ_t + (1−α) θ_s, α = Π α_s over the steps since the last update
 *
 * All randomness of iteration t comes from Rng(['stvm', seed, t]) and the batch is a pure
 * function of (seed, t), so saveState/loadState (both sides' tensors + the teacher version)
 * resume exactly. Before label(t) the teacher must hold version ≥ minVersion(t): every
 * student step so far in 'sync', at most `maxStaleness` behind in 'pipelined'.
 * The evaluated model is the teacher (predict/exportModel); predictStudent reports the student.
 */
import type { NormalizeOptions } from '../../data/transforms/normalize.js';
import { writeCHW } from '../../data/transforms/normalize.js';
import { photometric, type PhotometricOptions } from '../../data/transforms/photometric.js';
import { Rng } from '../../data/rng.js';
import { polyLr, type Schedule } from '../../engine/optim/schedules.js';
import type { TensorData } from '../../engine/ir/tensor.js';
import type { JsonValue } from '../../engine/runtime/checkpoint.js';
import { saveInferenceModel } from '../../engine/onnx/export.js';
import type { StvmConfig } from './config.js';
import { ConfigError } from '../../config/schema.js';
import { loopSettings, type LoopSettings, type WeightingChoice } from './loop-settings.js';
import { maskedMean } from './maps.js';
import { applyClassWeights, classBalanceOn, classWeightTable, updateFrequency } from './class-balance.js';
import { mixBatch } from './mixing.js';
import { adaptationNet, studentStepOptions } from './bn-mode.js';
import type { NetSource } from './net.js';
import { inferenceForward } from './programs.js';
import type { SideRunnerOptions } from './runner-options.js';
import type { TeacherPort } from './ports.js';
import { StudentSide } from './student-side.js';
import { TeacherCore } from './teacher-core.js';
import type { TargetBatch } from './target-batches.js';
import { TeacherSide } from './teacher-side.js';
import type { TeacherView } from '../weighting/registry.js';

export interface StvmAlgorithmOptions {
  readonly cfg: StvmConfig;
  readonly seed: number;
  /** Total iterations T of the run (the student's poly schedule spans T − K_w steps). */
  readonly iterations: number;
  readonly batch: number;
  /** Crop [width, height] of the target batches. */
  readonly crop: readonly [number, number];
  readonly net: NetSource;
  readonly numClasses: number;
  /** Network-input normalisation of the source model. */
  readonly normalize: NormalizeOptions;
  /** Target batches (images only) by iteration. */
  readonly batches: { at(t: number): Promise<TargetBatch>; peek?(t: number): Promise<TargetBatch> };
  /** A registered weighting instead of cfg.weighting (baselines). */
  readonly weighting?: WeightingChoice;
  readonly runner?: SideRunnerOptions;
  /** The source model's class weights w^src [C] (its metadata), for stvm.classBalance.sourceWeights. */
  readonly classWeights?: Float32Array;
  /**
   * The teacher, given the loop's settings (default: a local TeacherCore on its own runner).
   * The student service passes its gRPC client of the teacher service here.
   */
  readonly teacher?: (settings: LoopSettings) => Promise<TeacherPort>;
  /**
   * How far the teacher may lag the student (in student steps) when a label is requested:
   * 0 (default) = 'sync', the teacher holds every student step so far (bit-identical to one
   * process); s > 0 = 'pipelined' with staleness at most s.
   */
  readonly maxStaleness?: number;
  /**
   * Writes the evaluated model given every tensor of the network (source tensors with the
   * teacher's weights); default: lib/engine/onnx/export.ts at the crop size, output the
   * upsampled logits.
   */
  readonly exporter?: (file: string, tensors: Map<string, TensorData>) => Promise<void>;
  readonly name?: string;
}

interface SavedJson { teacherVersion: number; emaUpdates: number; classFrequency?: number[] }

const now = () => performance.now();

function concat<T extends Float32Array | Uint8Array>(a: T, b: T): T {
  const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class StvmAlgorithm {
  readonly name: string;
  readonly settings: LoopSettings;
  private emaUpdates = 0;
  /** Running pseudo-label class frequency f [C] (class balance, 'rare-reliable' MOCM). */
  private freq: Float64Array | undefined;
  private readonly tracksFrequency: boolean;
  private readonly schedule: Schedule;
  private readonly strong: PhotometricOptions | undefined;

  private constructor(private readonly o: StvmAlgorithmOptions, settings: LoopSettings, readonly teacher: TeacherPort, readonly student: StudentSide) {
    this.name = o.name ?? 'stvm';
    this.settings = settings;
    const cfg = o.cfg;
    this.tracksFrequency = classBalanceOn(cfg.classBalance) || settings.mixing === 'mocm-rare';
    this.schedule = polyLr({ base: cfg.student.lr, maxSteps: Math.max(1, o.iterations - settings.warmup), power: cfg.student.polyPower });
    const a = cfg.strongAug;
    this.strong = cfg.mocm.strongAug
      ? { jitter: { brightness: a.jitter, contrast: a.jitter, saturation: a.jitter, hue: a.jitter, p: a.jitterP }, blur: { sigma: [a.blurSigmaMin, a.blurSigmaMax], p: a.blurP } }
      : undefined;
  }

  /** A local teacher (TeacherSide on its own runner + TeacherCore) for these settings. */
  static async localTeacher(o: Pick<StvmAlgorithmOptions, 'cfg' | 'seed' | 'batch' | 'crop' | 'net' | 'numClasses' | 'runner'>, settings: LoopSettings): Promise<TeacherCore> {
    const [cw, ch] = o.crop;
    const side = await TeacherSide.start({
      net: adaptationNet(o.net, o.cfg), batch: o.batch, crop: [ch, cw], numClasses: o.numClasses,
      ...(settings.metric ? { metric: { cfg: o.cfg.metric, seed: o.seed } } : {}),
      probs: settings.weighting.needs.probs ?? false,
      ...(o.runner ? { runner: o.runner } : {}),
    });
    return new TeacherCore(side, { cfg: o.cfg, seed: o.seed, numClasses: o.numClasses, metric: settings.metric });
  }

  static async create(o: StvmAlgorithmOptions): Promise<StvmAlgorithm> {
    const settings = loopSettings(o.cfg, o.weighting);
    if (o.cfg.classBalance.sourceWeights && o.classWeights === undefined) throw new ConfigError('stvm.classBalance.sourceWeights', 'the source model has no class weights in its metadata (it was trained without class balance)');
    const s = o.maxStaleness ?? 0;
    if (s > 0 && s < o.cfg.ema.every) throw new Error(`maxStaleness ${s} is below stvm.ema.every ${o.cfg.ema.every}: a pipelined teacher could wait for weights that are published only after it answers`);
    const [cw, ch] = o.crop;
    const teacher = o.teacher ? await o.teacher(settings) : await StvmAlgorithm.localTeacher(o, settings);
    try {
      const student = await StudentSide.start({
        net: adaptationNet(o.net, o.cfg), batch: o.batch, crop: [ch, cw], cfg: o.cfg.student, loss: studentStepOptions(o.cfg), restoreProb: o.cfg.regularisers.restoreProb,
        ...(o.runner ? { runner: o.runner } : {}),
      });
      return new StvmAlgorithm(o, settings, teacher, student);
    } catch (e) {
      await teacher.close();
      throw e;
    }
  }

  /** The local teacher's runner side (tests and diagnostics; an error for a remote teacher). */
  get teacherSide(): TeacherSide {
    if (this.teacher instanceof TeacherCore) return this.teacher.side;
    throw new Error('the teacher of this run is remote: no local teacher runner');
  }

  /** The student's learning rate at iteration t (0 during the warm-up). */
  lrAt(t: number): number {
    return t < this.settings.warmup ? 0 : this.schedule(t - this.settings.warmup);
  }

  /** Student steps taken before iteration t. */
  private studentSteps(t: number): number {
    return Math.max(0, t - this.settings.warmup);
  }

  /**
   * The teacher version that label(t) needs: every published EMA version up to the student
   * steps taken before t (sync), less the allowed staleness (pipelined).
   */
  minVersion(t: number): number {
    if (this.settings.teacher !== 'ema') return 0;
    const k = this.studentSteps(t);
    const every = this.o.cfg.ema.every;
    const published = k - (k % every);
    return Math.max(0, published - (this.o.maxStaleness ?? 0));
  }

  async step(t: number): Promise<Record<string, number>> {
    const { cfg } = this.o;
    const s = this.settings;
    const rng = new Rng(['stvm', this.o.seed, t]);
    const m: Record<string, number> = {};
    let t0 = now();
    const batch = await this.o.batches.at(t);
    m['ms_data'] = now() - t0;
    const [N, , H, W] = batch.images.shape as [number, number, number, number];

    t0 = now();
    const tout = await this.teacher.label({ t, images: batch.images, probs: s.weighting.needs.probs ?? false, minVersion: this.minVersion(t) });
    m['ms_teacher'] = now() - t0;
    Object.assign(m, tout.metrics);
    if ((this.o.maxStaleness ?? 0) > 0 && this.teacher.prefetch && this.o.batches.peek && t + 1 < this.o.iterations) {
      // pipelined: the teacher labels iteration t+1 while the student steps on t
      const next = await this.o.batches.peek(t + 1);
      this.teacher.prefetch({ t: t + 1, images: next.images, probs: s.weighting.needs.probs ?? false, minVersion: this.minVersion(t + 1) });
    }
    if (t < s.warmup) return { ...m, loss: m['metric_loss'] ?? NaN, warmup: 1 };

    t0 = now();
    const view: TeacherView = {
      n: N, height: H, width: W, numClasses: this.o.numClasses, labels: tout.labels, confidence: tout.confidence,
      ...(tout.probs ? { probs: tout.probs } : {}), ...(tout.reliability ? { reliability: tout.reliability } : {}),
    };
    if (this.tracksFrequency) this.freq = updateFrequency(this.freq, tout.labels, this.o.numClasses, cfg.classBalance.momentum);
    const mix = mixBatch(batch.raw, view, s.mixing, rng.fork('mix'), this.freq);
    const table = classBalanceOn(cfg.classBalance) ? classWeightTable(cfg.classBalance, this.o.numClasses, this.o.classWeights, this.freq) : undefined;
    const weightOf = (v: TeacherView) => (table ? applyClassWeights(s.weightFn(v), v.labels, table) : s.weightFn(v));
    const weights = weightOf(mix.view);
    const plane = H * W;
    const x = new Float32Array(N * 3 * plane);
    mix.images.forEach((img, i) => {
      const aug = this.strong ? photometric(img, rng.fork('aug', i), this.strong) : img;
      writeCHW(aug, x, i * 3 * plane, this.o.normalize);
    });
    m['mixed_fraction'] = mix.mixedFraction;
    m['mean_weight'] = maskedMean(weights, mix.view.labels);
    let feed: { images: Float32Array; labels: Uint8Array; weights: Float32Array; n: number } = { images: x, labels: mix.view.labels, weights, n: N };
    if (cfg.mocm.unmixedLoss) {
      // row 13: the un-mixed (weakly augmented) batch with its own pseudo-labels and weights
      // joins the step as a second group of N images with its own normaliser
      feed = {
        images: concat(x, batch.images.data as Float32Array), labels: concat(mix.view.labels, view.labels),
        weights: concat(weights, weightOf(view)), n: 2 * N,
      };
    } else if (this.student.groups === 2) {
      // stvm.bn.statsFrom 'unmixed': the un-mixed batch only gives the BN statistics (bn-mode.ts);
      // its labels are all ignored, so it adds nothing to the loss
      feed = {
        images: concat(x, batch.images.data as Float32Array), labels: concat(mix.view.labels, new Uint8Array(N * plane).fill(255)),
        weights: concat(weights, new Float32Array(N * plane)), n: 2 * N,
      };
    }
    m['ms_mocm'] = now() - t0;

    t0 = now();
    const k = t - s.warmup;
    const lr = this.schedule(k);
    const r = await this.student.step({ dtype: 'float32', shape: [feed.n, 3, H, W], data: feed.images }, feed.labels, feed.weights, lr, t);
    m['student_loss'] = r.loss;
    Object.assign(m, r.metrics);
    m['lr'] = lr;
    if (cfg.regularisers.restoreProb > 0) m['restored_fraction'] = await this.student.restore(rng.fork('restore'));
    m['ms_student'] = now() - t0;
    if (!r.finite) m['nonfinite_skipped'] = 1;

    if (s.teacher === 'ema' && (k + 1) % cfg.ema.every === 0) {
      t0 = now();
      if (this.teacher instanceof TeacherCore) m['ema_alpha'] = this.teacher.alphaFor(k + 1);
      await this.teacher.update(k + 1, () => this.student.weights(), (this.o.maxStaleness ?? 0) === 0);
      this.emaUpdates++;
      m['ms_ema'] = now() - t0;
    }
    m['teacher_version'] = this.teacher.version;
    m['staleness'] = k + 1 - this.teacher.version;
    return { ...m, loss: r.loss };
  }

  async saveState(): Promise<{ tensors: Map<string, TensorData>; json: JsonValue }> {
    const tensors = new Map<string, TensorData>();
    for (const [k, v] of await this.teacher.getState()) tensors.set(`teacher/${k}`, v);
    for (const [k, v] of await this.student.getState()) tensors.set(`student/${k}`, v);
    const json: SavedJson = { teacherVersion: this.teacher.version, emaUpdates: this.emaUpdates, ...(this.freq ? { classFrequency: [...this.freq] } : {}) };
    return { tensors, json: json as unknown as JsonValue };
  }

  async loadState(st: { tensors: Map<string, TensorData>; json: JsonValue }): Promise<void> {
    const part = (prefix: string) => {
      const out = new Map<string, TensorData>();
      for (const [k, v] of st.tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
      return out;
    };
    const j = st.json as unknown as SavedJson;
    await this.teacher.setState(part('teacher/'), j.teacherVersion);
    await this.student.setState(part('student/'));
    this.emaUpdates = j.emaUpdates;
    this.freq = j.classFrequency ? Float64Array.from(j.classFrequency) : undefined;
  }

  /** Teacher predictions (the evaluated model). */
  predict(images: TensorData): Promise<Uint8Array> {
    return this.teacher.predict(images);
  }

  /** Student predictions (reported alongside). */
  predictStudent(images: TensorData): Promise<Uint8Array> {
    return this.student.predict(images);
  }

  /** Every tensor of the network with the teacher's (or the student's) weights. */
  async networkTensors(which: 'teacher' | 'student' = 'teacher'): Promise<Map<string, TensorData>> {
    const out = new Map<string, TensorData>(this.o.net.weights ?? []);
    for (const [k, v] of await (which === 'teacher' ? this.teacher : this.student).weights()) out.set(k, v);
    return out;
  }

  async exportModel(file: string): Promise<void> {
    const tensors = await this.networkTensors('teacher');
    if (this.o.exporter) return this.o.exporter(file, tensors);
    const [cw, ch] = this.o.crop;
    const f = inferenceForward(this.o.net, 1, ch, cw);
    await saveInferenceModel(file, f.g.graph, tensors, { outputs: f.outputs, name: 'deeplab', producer: 'stvm-sfda' });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.teacher.close(), this.student.close()]);
  }
}
