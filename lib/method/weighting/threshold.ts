/**
 * Fixed-confidence-threshold self-training weights (the classic pseudo-label filter):
 *
 *   w_i = 1[q_i > τ]   for pixels with a pseudo-label (ŷ_i ≠ 255),   w_i = 0 otherwise,
 *
 * q_i = max_c softmax(z_i)_c the teacher's confidence, τ = 0.9 by default.
 * Shapes: labels ŷ [N·H·W] uint8, confidence q [N·H·W] float32 → w [N·H·W] float32 ∈ {0, 1}.
 * The inequality is strict (q_i = τ is dropped).
 */
import type { TeacherView, Weighting } from './registry.js';

/** w_i = 1[q_i > τ] (0 where ŷ_i = 255). Pure; does not modify its inputs. */
export function thresholdWeights(labels: Uint8Array, confidence: Float32Array, tau: number): Float32Array {
  if (labels.length !== confidence.length) throw new Error(`thresholdWeights: ${labels.length} labels but ${confidence.length} confidences`);
  const w = new Float32Array(labels.length);
  for (let i = 0; i < w.length; i++) w[i] = labels[i] !== 255 && confidence[i]! > tau ? 1 : 0;
  return w;
}

const PARAMS = {
  tau: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'confidence threshold τ: w_i = 1[q_i > τ]', symbol: 'τ' },
} as const;

export const THRESHOLD_WEIGHTING: Weighting<typeof PARAMS> = {
  name: 'threshold',
  doc: 'w_i = 1[q_i > τ] (fixed confidence threshold, τ = 0.9)',
  needs: {},
  params: PARAMS,
  create: (p) => (v: TeacherView) => thresholdWeights(v.labels, v.confidence, p.tau),
};
