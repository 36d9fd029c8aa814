/**
 * The teacher side of self-training (what the teacher service will run): one TrainStepRunner
 * holding the teacher weights θ_t (same names as the student's), the metric head m, the proxies
 * and their AdamW state ('metric-optim/…'). Operations: the teacher forward, the metric step,
 * the EMA update (a program on the runner: θ_t ← α·θ_t + (1−α)·θ_s, ema.ts), and label
 * prediction with θ_t. See programs.ts for the graphs. teacher-core.ts builds the teacher's
 * answer for an iteration from these operations.
 */
import type { TrainStepRunner } from '../../engine/runtime/index.js';
import { tensor, type TensorData } from '../../engine/ir/tensor.js';
import type { StvmConfig } from './config.js';
import type { NetSource } from './net.js';
import { emaProgram, metricStepProgram, teacherEvalProgram, type NetParams } from './programs.js';
import { predictWith } from './predict.js';
import { startRunner, type SideRunnerOptions } from './runner-options.js';

export interface TeacherOutputs {
  /** ŷ at feature resolution [N,h,w]. */
  readonly labelsFeat: Uint8Array;
  /** ŷ at the crop [N,H,W]. */
  readonly labels: Uint8Array;
  /** max softmax [N,H,W]. */
  readonly confidence: Float32Array;
  /** Encoder features f [N,F,h,w]. */
  readonly features: TensorData;
  /** softmax [N,C,H,W] (only when built with probs). */
  readonly probs?: Float32Array;
}

export interface TeacherSideOptions {
  readonly net: NetSource;
  readonly batch: number;
  /** Crop height and width. */
  readonly crop: readonly [number, number];
  readonly numClasses: number;
  /** The metric network and proxies (absent: no metric program). */
  readonly metric?: { readonly cfg: StvmConfig['metric']; readonly seed: number };
  /** Also output the softmax probabilities. */
  readonly probs?: boolean;
  readonly runner?: SideRunnerOptions;
}

export class TeacherSide {
  private readonly predictKeys = new Set<string>();

  private constructor(
    readonly runner: TrainStepRunner,
    private readonly opts: TeacherSideOptions,
    /** The network's trainable parameters (the EMA's tensors). */
    readonly params: NetParams,
  ) {}

  static async start(opts: TeacherSideOptions): Promise<TeacherSide> {
    const [h, w] = opts.crop;
    const runner = await startRunner(opts.runner ?? {});
    try {
      const te = teacherEvalProgram(opts.net, opts.batch, h, w, { probs: opts.probs ?? false });
      await runner.addProgram('teacher', te.compiled, { initState: true });
      if (opts.metric) {
        const prog = metricStepProgram({ n: opts.batch, featureChannels: te.params.featureChannels, featureSize: te.params.featureSize, numClasses: opts.numClasses }, opts.metric.cfg, opts.metric.seed);
        await runner.addProgram('metric', prog, { initState: true });
      }
      await runner.addProgram('ema', emaProgram(te.params));
      return new TeacherSide(runner, opts, te.params);
    } catch (e) {
      await runner.close();
      throw e;
    }
  }

  get featureSize(): readonly [number, number] {
    return this.params.featureSize;
  }

  /** Teacher forward on a normalised crop batch [N,3,H,W]. */
  async forward(images: TensorData): Promise<TeacherOutputs> {
    const o = await this.runner.run('teacher', { image: images }, { transfer: false });
    return {
      labelsFeat: o['labels_feat']!.data as Uint8Array,
      labels: o['labels']!.data as Uint8Array,
      confidence: o['confidence']!.data as Float32Array,
      features: o['features']!,
      ...(o['probs'] ? { probs: o['probs'].data as Float32Array } : {}),
    };
  }

  /** One metric step; returns L_metric and the similarities S [M,C] of its input (before the update). */
  async metricStep(features: TensorData, onehot: Float32Array, valid: Float32Array, step: number): Promise<{ loss: number; finite: boolean; sim: Float32Array }> {
    const m = this.opts.metric;
    if (m === undefined) throw new Error('TeacherSide: the metric network is off');
    const c = this.opts.numClasses;
    const r = await this.runner.trainStep('metric', {
      features,
      onehot: tensor('float32', [onehot.length / c, c], onehot),
      valid: tensor('float32', [valid.length, 1], valid),
    }, { lr: m.cfg.lr, step });
    return { loss: r.loss, finite: r.finite, sim: r.outputs['sim']!.data as Float32Array };
  }

  /** θ_t ← α·θ_t + (1−α)·θ_s for every parameter. `student` holds θ_s by parameter name. */
  async ema(student: ReadonlyMap<string, TensorData>, alpha: number): Promise<void> {
    const feeds: Record<string, TensorData> = { alpha: tensor('float32', [], [alpha]) };
    for (const p of this.params.all) feeds[`student/${p}`] = need(student, p);
    await this.runner.run('ema', feeds);
  }

  /** Label predictions of the teacher for a normalised batch [n,3,h,w] (uint8 [n,h,w]). */
  async predict(images: TensorData): Promise<Uint8Array> {
    return predictWith(this.runner, this.predictKeys, this.opts.net, images);
  }

  /** The teacher weights θ_t. */
  weights(): Promise<Map<string, TensorData>> {
    return this.runner.getState(this.params.all);
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

function need(m: ReadonlyMap<string, TensorData>, p: string): TensorData {
  const t = m.get(p);
  if (t === undefined) throw new Error(`EMA: the student weights lack '${p}'`);
  return t;
}
