/**
 * The Algorithm contract shared by every trainer (source training, AdaBN, TENT, self-training,
 * STvM). `runLoop` (loop.ts) drives an Algorithm: it owns the iteration count, the progress bar,
 * metrics.jsonl, checkpoints, exact resume, diagnostic evaluation and NaN reporting; the
 * Algorithm owns its networks, runners, data and optimiser.
 *
 * Determinism rules (what makes an exact resume possible):
 * - all randomness of iteration t is derived from (seed, t), e.g. `new Rng(['stvm', seed, t])`;
 * - the data batch of iteration t is a pure function of (seed, t) (see batches.ts);
 * - everything else that changes between iterations lives in the tensors and JSON returned
 *   by `saveState` (parameters, optimiser state, BN buffers, EMA teacher, counters).
 * So `loadState(saveState())` followed by `step(t)` gives the same result as the uninterrupted
 * run's `step(t)`.
 */
import type { TensorData } from '../engine/ir/tensor.js';
import type { JsonValue } from '../engine/runtime/checkpoint.js';

export type { JsonValue } from '../engine/runtime/checkpoint.js';

/** Scalar metrics of one iteration (loss terms, lr, timings in ms, ...). */
export type StepMetrics = Record<string, number>;

/** What an Algorithm saves and restores: named tensors + plain JSON. */
export interface AlgorithmState {
  /** Every runner's state tensors, each name prefixed by its runner (e.g. 'student/…', 'teacher/…'). */
  readonly tensors: Map<string, TensorData>;
  readonly json: JsonValue;
}

export type { BatchPredictor } from '../model/predictor.js';

export interface Algorithm {
  readonly name: string;
  /**
   * One iteration t (0-based). Returns scalar metrics to log (loss terms, lr, timings).
   * A non-finite step skipped under the runner's 'skip' policy is reported with the metric
   * `nonfinite_skipped: 1` (runLoop counts them); under 'stop' the runner's
   * NonFiniteStepError propagates (runLoop reports the step and rethrows).
   */
  step(t: number): Promise<StepMetrics>;
  /** Everything to resume exactly (all runners' state tensors, prefixed by runner) + JSON. */
  saveState(): Promise<AlgorithmState>;
  loadState(s: AlgorithmState): Promise<void>;
  /** The model that is evaluated/reported (teacher for STvM): see BatchPredictor. */
  predict(images: TensorData): Promise<Uint8Array>;
  /** Export the evaluated model as a plain inference ONNX model (+ its sidecar, see model-file.ts). */
  exportModel(file: string): Promise<void>;
  close(): Promise<void>;
}

/** Metric name an Algorithm uses to report a skipped non-finite step (value 1). */
export const NONFINITE_SKIPPED = 'nonfinite_skipped';
