/**
 * Reliability of teacher pseudo-labels from the metric space (stvm-method.md row 7).
 * Inputs are the cosine similarities between each location's embedding and each proxy, in
 * location-major layout S ∈ [P, C] (P = N·h·w locations; float32 in [−1, 1]),
 * S[i,c] = s(e_i, p_c), and the teacher pseudo-labels ŷ ∈ [P] (uint8, 255 = none).
 * Output r ∈ [P] in [0, 1] (0 where ŷ = 255).
 *   proxy-posterior: r_i = exp(β s_{i,ŷ}) / Σ_c exp(β s_{i,c})
 *   clipped-cosine:  r_i = max(0, s_{i,ŷ})
 *   hard-agreement:  r_i = 1[argmax_c s_{i,c} = ŷ_i]
 */
import { upsampleBilinear } from './maps.js';

export type ReliabilityVariant = 'proxy-posterior' | 'clipped-cosine' | 'hard-agreement';

export function reliability(sim: Float32Array, labels: Uint8Array, c: number, variant: ReliabilityVariant, beta: number): Float32Array {
  const p = labels.length;
  if (sim.length !== p * c) throw new Error(`reliability: similarities hold ${sim.length} values, expected P·C = ${p}·${c}`);
  const r = new Float32Array(p);
  for (let i = 0; i < p; i++) {
    const y = labels[i]!;
    if (y === 255) continue;
    if (y >= c) throw new Error(`reliability: pseudo-label ${y} at location ${i} is not a class (C = ${c})`);
    const row = i * c;
    const sy = sim[row + y]!;
    if (variant === 'clipped-cosine') {
      r[i] = Math.max(0, sy);
      continue;
    }
    let mx = -Infinity;
    let best = 0;
    for (let k = 0; k < c; k++) {
      const v = sim[row + k]!;
      if (v > mx) { mx = v; best = k; }
    }
    if (variant === 'hard-agreement') {
      r[i] = best === y ? 1 : 0;
      continue;
    }
    let z = 0;
    for (let k = 0; k < c; k++) z += Math.exp(beta * (sim[row + k]! - mx));
    r[i] = Math.exp(beta * (sy - mx)) / z;
  }
  return r;
}

/** Teacher softmax confidence q_i = max_c softmax(z_i)_c over logits Z ∈ [N, C, H, W] (DACS-style weights). */
export function softmaxConfidence(logits: Float32Array, n: number, c: number, hw: number): { conf: Float32Array; argmax: Uint8Array } {
  const conf = new Float32Array(n * hw);
  const argmax = new Uint8Array(n * hw);
  for (let b = 0; b < n; b++) {
    const base = b * c * hw;
    for (let p = 0; p < hw; p++) {
      let mx = -Infinity;
      let best = 0;
      for (let k = 0; k < c; k++) {
        const v = logits[base + k * hw + p]!;
        if (v > mx) { mx = v; best = k; }
      }
      let z = 0;
      for (let k = 0; k < c; k++) z += Math.exp(logits[base + k * hw + p]! - mx);
      conf[b * hw + p] = 1 / z;
      argmax[b * hw + p] = best;
    }
  }
  return { conf, argmax };
}

/** β of the proxy posterior: the configured value, or α when it is 0 ("tied to α"). */
export function posteriorBeta(cfg: { metric: { alpha: number }; reliability: { beta: number } }): number {
  return cfg.reliability.beta > 0 ? cfg.reliability.beta : cfg.metric.alpha;
}

export interface ReliabilityMapInput {
  /** S [N·h·w, C] (location-major) at the feature grid. */
  readonly sim: Float32Array;
  /** ŷ at the feature grid [N·h·w] (the stride-8 argmax). */
  readonly labelsFeat: Uint8Array;
  /** ŷ at the crop [N·H·W] (the labels the student loss uses). */
  readonly labels: Uint8Array;
  readonly n: number;
  readonly numClasses: number;
  /** Feature grid (h, w) and crop (H, W). */
  readonly featureSize: readonly [number, number];
  readonly crop: readonly [number, number];
}

/**
 * r at the crop [N·H·W] for the student loss, by `resolution`:
 *   'feature': r = ↑bilinear( reliability(S, ŷ_feat) )                  (one value per stride cell)
 *   'full':    r_i = reliability(↑bilinear(S)_i, ŷ_i)                    (per pixel, for the label the
 *              loss uses; S upsampled class by class with align_corners=True, as the logits)
 * and r_feat [N·h·w] (the feature-grid reliability, for logs). 0 where ŷ = 255.
 */
export function reliabilityMap(x: ReliabilityMapInput, variant: ReliabilityVariant, beta: number, resolution: 'feature' | 'full'): { rel: Float32Array; relFeat: Float32Array } {
  const { n, numClasses: c } = x;
  const [h, w] = x.featureSize;
  const [H, W] = x.crop;
  const relFeat = reliability(x.sim, x.labelsFeat, c, variant, beta);
  if (resolution === 'feature') return { rel: upsampleBilinear(relFeat, n, h, w, H, W), relFeat };
  const m = n * h * w, P = n * H * W;
  if (x.labels.length !== P) throw new Error(`reliabilityMap: ${x.labels.length} labels, expected N·H·W = ${P}`);
  // S [M,C] → per class [M] → ↑ [P] → S_full [P,C]
  const plane = new Float32Array(m);
  const full = new Float32Array(P * c);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < m; i++) plane[i] = x.sim[i * c + k]!;
    const up = upsampleBilinear(plane, n, h, w, H, W);
    for (let i = 0; i < P; i++) full[i * c + k] = up[i]!;
  }
  return { rel: reliability(full, x.labels, c, variant, beta), relFeat };
}
