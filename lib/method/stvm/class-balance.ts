/**
 * Class balance of the self-training loss (stvm.classBalance; not in the STvM paper — rare
 * classes otherwise lose weight to the frequent ones under self-training). Pure functions.
 *
 * Running pseudo-label frequency (from the UN-mixed teacher labels ŷ [N·H·W] of each iteration):
 *   s_c = |{i : ŷ_i = c}| / |{i : ŷ_i ≠ 255}|,   f ← s (first iteration),  f ← μ·f + (1−μ)·s
 * Class weight table t [C]:
 *   t_c = clip( w^src_c^[sourceWeights] · ((median_{c': f_c'>0} f_c') / f_c)^γ [pseudoLabel], 1/T, T )
 *   (w^src = the source model's median-frequency weights; a factor that is off is 1; f_c = 0 → 1)
 * Applied to the per-pixel weights w [N·H·W] with the pixels' labels ỹ (after mixing):
 *   w'_i = w_i · t_{ỹ_i} · (Σ_j w_j) / (Σ_j w_j · t_{ỹ_j})        (sums over ỹ_j ≠ 255)
 * The rescaling keeps Σ_i w_i, so the balance moves weight between classes without changing the
 * loss's overall scale (and hence the effective step size).
 */
import { medianFrequencyWeights } from '../../data/class-weights.js';
import type { StvmConfig } from './config.js';

/** f after one more batch of pseudo-labels (a new array; `prev` undefined = first batch). */
export function updateFrequency(prev: Float64Array | undefined, labels: Uint8Array, numClasses: number, momentum: number): Float64Array {
  const s = new Float64Array(numClasses);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 255 || y >= numClasses) continue;
    s[y]! += 1;
    n++;
  }
  if (n > 0) for (let c = 0; c < numClasses; c++) s[c]! /= n;
  if (prev === undefined) return s;
  if (prev.length !== numClasses) throw new Error(`updateFrequency: ${prev.length} frequencies for ${numClasses} classes`);
  return prev.map((f, c) => momentum * f + (1 - momentum) * s[c]!);
}

/** t [C] from the config, the source weights (if any) and the running frequency f. */
export function classWeightTable(cfg: StvmConfig['classBalance'], numClasses: number, sourceWeights: Float32Array | undefined, freq: Float64Array | undefined): Float32Array {
  const t = new Float32Array(numClasses).fill(1);
  if (cfg.sourceWeights && sourceWeights) {
    if (sourceWeights.length !== numClasses) throw new Error(`class balance: the source model has ${sourceWeights.length} class weights for ${numClasses} classes`);
    for (let c = 0; c < numClasses; c++) t[c]! *= sourceWeights[c]!;
  }
  if (cfg.pseudoLabel && freq) {
    const w = medianFrequencyWeights(freq, cfg.power);
    for (let c = 0; c < numClasses; c++) t[c]! *= w[c]!;
  }
  const lo = 1 / cfg.maxWeight, hi = cfg.maxWeight;
  for (let c = 0; c < numClasses; c++) t[c] = Math.min(hi, Math.max(lo, t[c]!));
  return t;
}

/** w'_i (see the file comment); a new array. */
export function applyClassWeights(weights: Float32Array, labels: Uint8Array, table: Float32Array): Float32Array {
  if (weights.length !== labels.length) throw new Error(`applyClassWeights: ${weights.length} weights vs ${labels.length} labels`);
  const out = new Float32Array(weights.length);
  let before = 0, after = 0;
  for (let i = 0; i < weights.length; i++) {
    const y = labels[i]!;
    if (y === 255) continue;
    const t = table[y];
    if (t === undefined) throw new Error(`applyClassWeights: label ${y} at pixel ${i} is not a class (C = ${table.length})`);
    before += weights[i]!;
    out[i] = weights[i]! * t;
    after += out[i]!;
  }
  if (after > 0) {
    const k = before / after;
    for (let i = 0; i < out.length; i++) out[i]! *= k;
  }
  return out;
}

/** Whether any class balance is on. */
export function classBalanceOn(cfg: StvmConfig['classBalance']): boolean {
  return cfg.sourceWeights || cfg.pseudoLabel;
}
