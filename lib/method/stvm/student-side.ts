/**
 * The student side of self-training (what the student service will run): one TrainStepRunner
 * holding the student weights θ_s and their SGD state ('optim/…'); it takes the weighted
 * cross-entropy steps (programs.ts studentStepProgram) and hands out θ_s for the EMA (with
 * train-mode BN: also every BN's γ, β and running statistics, NetParams.all).
 */
import type { TrainStepRunner } from '../../engine/runtime/index.js';
import { tensor, type TensorData } from '../../engine/ir/tensor.js';
import type { StvmConfig } from './config.js';
import type { NetSource } from './net.js';
import { studentStepProgram, type NetParams, type StudentStepOptions } from './programs.js';
import { startRunner, type SideRunnerOptions } from './runner-options.js';
import type { StudentPort } from './ports.js';
import { predictWith } from './predict.js';
import { restoreTensor } from './restore.js';
import type { Rng } from '../../data/rng.js';

export interface StudentSideOptions {
  readonly net: NetSource;
  readonly batch: number;
  readonly crop: readonly [number, number];
  readonly cfg: StvmConfig['student'];
  readonly loss: StudentStepOptions;
  readonly runner?: SideRunnerOptions;
  /** Stochastic restore probability p (stvm.regularisers.restoreProb; restore.ts); 0 = off. */
  readonly restoreProb?: number;
}

export class StudentSide implements StudentPort {
  private readonly predictKeys = new Set<string>();

  private constructor(
    readonly runner: TrainStepRunner,
    private readonly opts: StudentSideOptions,
    readonly params: NetParams,
    /** The trained tensors of the starting model (stochastic restore only). */
    private readonly source: ReadonlyMap<string, TensorData> | undefined,
  ) {}

  static async start(opts: StudentSideOptions): Promise<StudentSide> {
    const [h, w] = opts.crop;
    const runner = await startRunner(opts.runner ?? {});
    try {
      const st = studentStepProgram(opts.net, opts.batch, h, w, opts.cfg, opts.loss);
      await runner.addProgram('student', st.compiled, { initState: true });
      const source = (opts.restoreProb ?? 0) > 0 ? await runner.getState(st.params.trainable) : undefined;
      return new StudentSide(runner, opts, st.params, source);
    } catch (e) {
      await runner.close();
      throw e;
    }
  }

  /**
   * One step on the mixed batch: images x̃ [N,3,H,W] (normalised), labels ỹ [N·H·W] (uint8,
   * 255 ignored), weights r̃ [N·H·W]. Returns the loss (before the update) and whether it was
   * finite (a skipped step under the 'skip' policy).
   */
  async step(images: TensorData, labels: Uint8Array, weights: Float32Array, lr: number, step: number): Promise<{ loss: number; finite: boolean; metrics: Record<string, number> }> {
    const [n, , h, w] = images.shape as [number, number, number, number];
    const y = new BigInt64Array(labels.length);
    const lo = new Int32Array(y.buffer); // little-endian: the low word of each int64 (checkpoints assert LE too)
    for (let i = 0; i < labels.length; i++) lo[2 * i] = labels[i]!;
    const r = await this.runner.trainStep('student', {
      image: images,
      labels: tensor('int64', [n, h, w], y),
      weights: tensor('float32', [n, h, w], weights),
    }, { lr, step });
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.outputs)) if (v.shape.length === 0) metrics[k] = (v.data as Float32Array)[0]!;
    return { loss: r.loss, finite: r.finite, metrics };
  }

  /**
   * Whether each step needs the un-mixed images x after the mixed ones (a batch [x̃; x]): the
   * un-mixed loss (row 13) or BN statistics from the un-mixed images (stvm.bn.statsFrom).
   */
  get groups(): number {
    return this.opts.loss.groups ?? 1;
  }

  /**
   * Stochastic restore after a step (restore.ts): every element of every trained tensor back
   * to the starting model's value with probability restoreProb, positions from `rng` (one
   * fork per tensor, by name). Returns the fraction of elements restored.
   */
  async restore(rng: Rng): Promise<number> {
    const p = this.opts.restoreProb ?? 0;
    if (!this.source || p === 0) return 0;
    const cur = await this.runner.getState(this.params.trainable);
    let restored = 0, total = 0;
    for (const [k, t] of cur) {
      restored += restoreTensor(t.data as Float32Array, this.source.get(k)!.data as Float32Array, p, rng.fork(k));
      total += t.data.length;
    }
    await this.runner.setState(cur);
    return total === 0 ? 0 : restored / total;
  }

  get provider(): string {
    return this.runner.provider;
  }

  /** Every state tensor (θ_s and the SGD state 'optim/…'). */
  getState(): Promise<Map<string, TensorData>> {
    return this.runner.getState();
  }

  async setState(tensors: Map<string, TensorData>): Promise<void> {
    const held = await this.runner.stateInfo();
    const missing = [...held.keys()].filter((k) => !tensors.has(k));
    if (missing.length > 0) throw new Error(`student state: '${missing[0]}' is missing (${missing.length} tensor(s))`);
    await this.runner.setState(tensors);
  }

  /** The student weights θ_s (copies). */
  weights(): Promise<Map<string, TensorData>> {
    return this.runner.getState(this.params.all);
  }

  /** Label predictions of the student for a normalised batch [n,3,h,w]. */
  predict(images: TensorData): Promise<Uint8Array> {
    return predictWith(this.runner, this.predictKeys, this.opts.net, images);
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
