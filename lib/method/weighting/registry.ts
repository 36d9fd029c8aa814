/**
 * Per-pixel loss weights of the self-training loop: the registry of weighting functions.
 *
 * A weighting is a pure function of the teacher's view of a (mixed) student batch at label
 * resolution — pseudo-labels ŷ [N·H·W] (uint8, 255 = none), softmax confidence
 * q_i = max_c softmax(z_i)_c [N·H·W], optionally the probabilities [N,C,H,W] and the metric
 * reliability r [N·H·W] — and its parameters, to weights w [N·H·W] ≥ 0 (the r̃_i of the
 * student loss L = (1/N_v) Σ_i w_i·CE_i). It is applied after mixing, to the view mixed with
 * the same mask as the image (pixel-wise weightings commute with mixing; per-image ones, like
 * DACS's, are then computed on the mixed image as DACS does).
 *
 * Built in (STvM, stvm-method.md rows 2, 7 and the ablations):
 *   reliability:  w_i = r_i                    (STvM; needs the metric network)
 *   uniform:      w_i = 1                      (ablation: plain mean-teacher CE)
 *   confidence:   w_i = q_i                    (teacher softmax confidence)
 *   mean-reliability: w_i = (1/N_v) Σ_j r_j    (ablation: uniform weights at the step size the
 *                                               reliability gives — separates "which pixels"
 *                                               from "how large a step")
 * Baselines (fixed threshold, class-balanced CBST, DACS-style) register themselves with
 * `registerWeighting` and are chosen by name in the run config (`weighting.name`, with their
 * parameters in `weighting.params`, validated by the weighting's own schema).
 */
import { validate, type Resolved, type Schema } from '../../config/schema.js';

/** The teacher's per-pixel outputs for N images of H×W (row-major [N,H,W]). */
export interface TeacherView {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly numClasses: number;
  /** ŷ_i, uint8 (255: no pseudo-label, e.g. padding). */
  readonly labels: Uint8Array;
  /** q_i = max_c softmax(z_i)_c. */
  readonly confidence: Float32Array;
  /** softmax(z) [N,C,H,W]; present when the weighting declares needs.probs. */
  readonly probs?: Float32Array;
  /** r_i ∈ [0,1]; present when the metric network is on. */
  readonly reliability?: Float32Array;
}

export interface WeightingNeeds {
  /** The metric reliability r (the metric network must be on). */
  readonly reliability?: boolean;
  /** The teacher's softmax probabilities [N,C,H,W] (an extra teacher output). */
  readonly probs?: boolean;
}

/** Weights w [N·H·W] from the view; must not modify the view. */
export type WeightFn = (view: TeacherView) => Float32Array;

export interface Weighting<S extends Schema = Schema> {
  readonly name: string;
  /** One line: the formula. */
  readonly doc: string;
  readonly needs: WeightingNeeds;
  /** Schema of the parameters (`weighting.params` in the run config). */
  readonly params: S;
  /** Builds the weight function from validated parameters. */
  create(params: Resolved<S>): WeightFn;
}

const registry = new Map<string, Weighting>();

/** Adds a weighting; names are unique. */
export function registerWeighting<S extends Schema>(w: Weighting<S>): void {
  if (registry.has(w.name)) throw new Error(`weighting '${w.name}' is already registered`);
  registry.set(w.name, w as unknown as Weighting);
}

export function weightingNames(): string[] {
  return [...registry.keys()];
}

export function getWeighting(name: string): Weighting {
  const w = registry.get(name);
  if (w === undefined) throw new Error(`unknown weighting '${name}' (known: ${weightingNames().join(', ')})`);
  return w;
}

/** A ready weighting: its declared needs and the function (parameters validated; errors name `where`). */
export function makeWeighting(name: string, params: unknown, where = 'weighting.params'): { weighting: Weighting; fn: WeightFn } {
  const w = getWeighting(name);
  return { weighting: w, fn: w.create(validate(w.params, params ?? {}, where)) };
}

/** w_i = 0 where ŷ_i = 255, f(i) elsewhere. */
export function perPixel(view: TeacherView, f: (i: number) => number): Float32Array {
  const out = new Float32Array(view.labels.length);
  for (let i = 0; i < out.length; i++) out[i] = view.labels[i] === 255 ? 0 : f(i);
  return out;
}

registerWeighting({
  name: 'reliability', doc: 'w_i = r_i (metric reliability; STvM)', needs: { reliability: true }, params: {},
  create: () => (v) => {
    const r = v.reliability;
    if (r === undefined) throw new Error("weighting 'reliability' needs the metric reliability (turn the metric network on)");
    return perPixel(v, (i) => r[i]!);
  },
});

registerWeighting({
  name: 'uniform', doc: 'w_i = 1 (no reliability; ablation)', needs: {}, params: {},
  create: () => (v) => perPixel(v, () => 1),
});

registerWeighting({
  name: 'confidence', doc: 'w_i = max_c softmax(z_i)_c (teacher confidence)', needs: {}, params: {},
  create: () => (v) => perPixel(v, (i) => v.confidence[i]!),
});

registerWeighting({
  name: 'mean-reliability', doc: 'w_i = mean_j r_j over the batch (uniform weights, step scaled like reliability; ablation)', needs: { reliability: true }, params: {},
  create: () => (v) => {
    const r = v.reliability;
    if (r === undefined) throw new Error("weighting 'mean-reliability' needs the metric reliability (turn the metric network on)");
    let s = 0, k = 0;
    for (let i = 0; i < r.length; i++) if (v.labels[i] !== 255) { s += r[i]!; k++; }
    const mean = k > 0 ? s / k : 0;
    return perPixel(v, () => mean);
  },
});
