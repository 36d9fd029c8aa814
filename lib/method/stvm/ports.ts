/**
 * The two sides of self-training as ports: what the loop (algorithm.ts) needs from the
 * teacher and from the student. In one process they are TeacherCore (teacher-core.ts) and
 * StudentSide (student-side.ts); in the services, the student service's loop holds a gRPC
 * client of the teacher service that implements the same TeacherPort (lib/services), so the
 * one loop drives either and the distributed run reproduces the single-process one by
 * construction.
 *
 * Versions: the teacher's weights version is the number of student steps folded into θ_t
 * (0 = the source model). `update(v, …)` folds in the student's weights after v student
 * steps; the decay for the steps since the teacher's version u is Π_{s=u}^{v−1} α_s (ema.ts
 * emaDecaySpan(v − 1, v − u, α_max)) — α^k for a sync every k steps, as in one process.
 */
import type { TensorData } from '../../engine/ir/tensor.js';

/** The teacher's answer for iteration t (all maps at the crop, row-major [N,H,W]). */
export interface TeacherLabels {
  /** ŷ uint8 [N·H·W] (255: none). */
  readonly labels: Uint8Array;
  /** q = max softmax, [N·H·W]. */
  readonly confidence: Float32Array;
  /** softmax [N·C·H·W] (only when asked for). */
  readonly probs?: Float32Array;
  /** r ∈ [0,1] upsampled to the crop [N·H·W] (metric network on). */
  readonly reliability?: Float32Array;
  /** metric_loss, mean_reliability, metric_locations, nonfinite_skipped (metric step). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The weights version the answer was computed with. */
  readonly version: number;
}

export interface LabelRequest {
  /** The iteration (idempotency key together with the run and seed). */
  readonly t: number;
  /** Normalised images float32 [N,3,H,W]. */
  readonly images: TensorData;
  /** Also return the softmax probabilities. */
  readonly probs: boolean;
  /** The answer must use weights of at least this version (0: any). */
  readonly minVersion: number;
}

export interface TeacherPort {
  /**
   * Iteration t: teacher forward, metric step (when the metric network is on), reliability.
   * Idempotent by t: asking again for the same t returns the first answer (no second metric step).
   */
  label(req: LabelRequest): Promise<TeacherLabels>;
  /**
   * Pipelined runs: start computing label(req) now (the next iteration's batch), so the teacher
   * works while the student steps; the later label(req.t) returns it. Optional.
   */
  prefetch?(req: LabelRequest): void;
  /**
   * Fold the student's weights after `version` student steps into θ_t. `weights` yields them
   * (a local teacher reads them; a remote one has them published to the weight store).
   * `wait`: return only when the teacher has applied them (sync); otherwise the teacher may
   * apply them later (pipelined), bounded by the minVersion of later label requests.
   */
  update(version: number, weights: () => Promise<ReadonlyMap<string, TensorData>>, wait: boolean): Promise<void>;
  /** Label predictions with θ_t for normalised images [n,3,h,w] → uint8 [n·h·w]. */
  predict(images: TensorData): Promise<Uint8Array>;
  /** θ_t by parameter name. */
  weights(): Promise<Map<string, TensorData>>;
  /** Every state tensor (θ_t, metric network, proxies, optimiser state) for checkpoints. */
  getState(): Promise<Map<string, TensorData>>;
  /** Restore a checkpoint's tensors and the version they hold; forgets cached answers. */
  setState(tensors: Map<string, TensorData>, version: number): Promise<void>;
  /** The version of θ_t last known to this side. */
  readonly version: number;
  /** The execution provider the teacher runs on. */
  readonly provider: string;
  close(): Promise<void>;
}

export interface StudentPort {
  /**
   * One weighted step on normalised images x̃ [N,3,H,W], labels ỹ uint8 [N·H·W] (255 ignored)
   * and weights w [N·H·W]; the loss is taken before the update.
   */
  step(images: TensorData, labels: Uint8Array, weights: Float32Array, lr: number, step: number): Promise<{ loss: number; finite: boolean }>;
  /** θ_s by parameter name (copies). */
  weights(): Promise<Map<string, TensorData>>;
  predict(images: TensorData): Promise<Uint8Array>;
  getState(): Promise<Map<string, TensorData>>;
  setState(tensors: Map<string, TensorData>): Promise<void>;
  readonly provider: string;
  close(): Promise<void>;
}
