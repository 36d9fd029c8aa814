/**
 * DACS-style confidence weighting (Tranheden et al., WACV 2021): one weight per image,
 *
 *   w_i = |{ j ∈ V(n) : q_j > τ }| / |V(n)|   for every pixel i ∈ V(n) of image n,
 *   w_i = 0 for pixels without a pseudo-label (ŷ_i = 255),
 *
 * V(n) the pixels of (mixed) image n with a pseudo-label, q the teacher's confidence, τ = 0.968.
 * The weight is computed on the mixed image (the loop mixes first, then weighs), as DACS does.
 * scope 'batch' pools V over all N images of the batch instead — what the DACS reference
 * implementation does with its batch of mixed images (one scalar for the whole batch);
 * 'image' (default) gives each mixed image its own weight.
 * Shapes: labels ŷ [N·H·W] uint8, confidence q [N·H·W] float32 (row-major [N,H,W]) →
 * w [N·H·W] float32 ∈ [0, 1], constant over the valid pixels of an image (or the batch).
 */
import type { TeacherView, Weighting } from './registry.js';

export function dacsWeights(labels: Uint8Array, confidence: Float32Array, n: number, tau: number, scope: 'image' | 'batch' = 'image'): Float32Array {
  if (labels.length !== confidence.length) throw new Error(`dacsWeights: ${labels.length} labels but ${confidence.length} confidences`);
  if (!Number.isInteger(n) || n < 1 || labels.length % n !== 0) throw new Error(`dacsWeights: ${labels.length} pixels do not split into ${n} images`);
  const groups = scope === 'batch' ? 1 : n;
  const size = labels.length / groups;
  const w = new Float32Array(labels.length);
  for (let g = 0; g < groups; g++) {
    let valid = 0, above = 0;
    for (let i = g * size; i < (g + 1) * size; i++) {
      if (labels[i] === 255) continue;
      valid++;
      if (confidence[i]! > tau) above++;
    }
    const f = valid === 0 ? 0 : above / valid;
    for (let i = g * size; i < (g + 1) * size; i++) w[i] = labels[i] === 255 ? 0 : f;
  }
  return w;
}

const PARAMS = {
  tau: { type: 'number', default: 0.968, min: 0, max: 1, doc: 'confidence threshold τ of the counted pixels (DACS: 0.968)', symbol: 'τ' },
  scope: { type: 'enum', values: ['image', 'batch'], default: 'image', doc: 'one weight per (mixed) image, or one for the whole batch (DACS reference code)' },
} as const;

export const DACS_WEIGHTING: Weighting<typeof PARAMS> = {
  name: 'dacs',
  doc: 'w_i = fraction of the (mixed) image\'s pixels with q > 0.968, for every pixel of the image (DACS)',
  needs: {},
  params: PARAMS,
  create: (p) => (v: TeacherView) => dacsWeights(v.labels, v.confidence, v.n, p.tau, p.scope),
};
