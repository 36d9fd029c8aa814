/**
 * Class-balanced thresholds, CBST-style (Zou et al., ECCV 2018), batch variant:
 *
 *   for each class c with n_c > 0 pixels predicted c (ŷ_i = c) in the batch:
 *     k_c = max(1, ⌈p·n_c⌉),   τ_c = the k_c-th largest confidence q_i among those pixels
 *     (i.e. the confidence at the (1−p)-quantile of class c, taking the upper order statistic)
 *   w_i = 1[q_i ≥ τ_{ŷ_i}]   (w_i = 0 where ŷ_i = 255)
 *
 * so every class keeps (about) its most confident fraction p of pixels, however confident the
 * network is on it in absolute terms — rare, hard classes are not starved by a global
 * threshold. Ties at τ_c are all kept, so a class may keep slightly more than p·n_c pixels.
 * Optionally τ_c is capped: τ_c ← min(τ_c, τ_max) (τ_max = 1: no cap), so that a class whose
 * top p are all very confident keeps every pixel above τ_max.
 *
 * Variant, documented: the thresholds are computed per call over the (mixed) batch the
 * student trains on (all N images together), not over a running pool of the whole target set
 * as in the original CBST (which re-labels the target set once per round). A pooled variant
 * would need state across iterations; the registry's weightings are pure functions.
 *
 * Shapes: labels ŷ [N·H·W] uint8, confidence q [N·H·W] float32, C classes → w [N·H·W] ∈ {0, 1}.
 */
import type { TeacherView, Weighting } from './registry.js';

/** Per-class thresholds τ_c (NaN for classes absent from the batch). */
export function cbstThresholds(labels: Uint8Array, confidence: Float32Array, numClasses: number, portion: number, maxThreshold = 1): Float64Array {
  if (labels.length !== confidence.length) throw new Error(`cbstThresholds: ${labels.length} labels but ${confidence.length} confidences`);
  if (!(portion > 0 && portion <= 1)) throw new Error(`cbstThresholds: portion must be in (0, 1] (got ${portion})`);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 255) continue;
    if (y >= numClasses) throw new Error(`cbstThresholds: pseudo-label ${y} at pixel ${i} is not a class (C = ${numClasses})`);
    byClass[y]!.push(confidence[i]!);
  }
  const tau = new Float64Array(numClasses).fill(NaN);
  byClass.forEach((qs, c) => {
    if (qs.length === 0) return;
    qs.sort((a, b) => b - a);
    const k = Math.max(1, Math.ceil(portion * qs.length));
    tau[c] = Math.min(qs[k - 1]!, maxThreshold);
  });
  return tau;
}

/** w_i = 1[q_i ≥ τ_{ŷ_i}] with the batch's class thresholds (see the file comment). */
export function cbstWeights(labels: Uint8Array, confidence: Float32Array, numClasses: number, portion: number, maxThreshold = 1): Float32Array {
  const tau = cbstThresholds(labels, confidence, numClasses, portion, maxThreshold);
  const w = new Float32Array(labels.length);
  for (let i = 0; i < w.length; i++) {
    const y = labels[i]!;
    w[i] = y !== 255 && confidence[i]! >= tau[y]! ? 1 : 0;
  }
  return w;
}

const PARAMS = {
  portion: { type: 'number', default: 0.2, min: 1e-6, max: 1, doc: 'fraction p of each class\'s most confident pixels kept (τ_c = the (1−p)-quantile)', symbol: 'p' },
  maxThreshold: { type: 'number', default: 1, min: 0, max: 1, doc: 'cap τ_max on every class threshold (1: no cap)', symbol: 'τ_max' },
} as const;

export const CBST_WEIGHTING: Weighting<typeof PARAMS> = {
  name: 'cbst',
  doc: 'w_i = 1[q_i ≥ τ_ŷi], τ_c = (1−p)-quantile of the confidences of class c in the batch (CBST-style, p = 0.2)',
  needs: {},
  params: PARAMS,
  create: (p) => (v: TeacherView) => cbstWeights(v.labels, v.confidence, v.numClasses, p.portion, p.maxThreshold),
};
