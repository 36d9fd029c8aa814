/**
 * Stochastic restore (CoTTA: Wang et al., CVPR 2022, "Continual test-time domain adaptation"),
 * stvm.regularisers.restoreProb: after a student step, every element of every trained tensor
 * independently returns to its value in the starting model with probability p,
 *     θ ← M ⊙ θ_src + (1 − M) ⊙ θ,   M_j ~ Bernoulli(p) i.i.d.
 * The restored positions come from a seeded stream (the iteration's), so a resumed run restores
 * the same elements. They are drawn by geometric skips — the gap to the next restored element is
 * ⌊log(u)/log(1 − p)⌋ with u ~ U(0, 1], which gives exactly i.i.d. Bernoulli(p) positions — so a
 * step costs O(p·n) draws instead of one per element.
 */
import type { Rng } from '../../data/rng.js';

/** Calls visit(j) for each restored position j of 0..n−1 (increasing). Returns their count. */
export function restorePositions(n: number, p: number, rng: Rng, visit: (j: number) => void): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`restorePositions: p must be in [0, 1] (got ${p})`);
  if (p === 0 || n === 0) return 0;
  let count = 0;
  if (p === 1) {
    for (let j = 0; j < n; j++) visit(j);
    return n;
  }
  const lq = Math.log1p(-p);
  for (let j = Math.floor(Math.log(1 - rng.float()) / lq); j < n; j += 1 + Math.floor(Math.log(1 - rng.float()) / lq)) {
    visit(j);
    count++;
  }
  return count;
}

/**
 * In place: `current[j] = source[j]` at the restored positions of one tensor (same length).
 * Returns the number of restored elements.
 */
export function restoreTensor(current: Float32Array, source: Float32Array, p: number, rng: Rng): number {
  if (current.length !== source.length) throw new Error(`restoreTensor: ${current.length} values vs ${source.length} source values`);
  return restorePositions(current.length, p, rng, (j) => { current[j] = source[j]!; });
}
