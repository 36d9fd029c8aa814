/**
 * MOCM — metric-based online ClassMix: which classes of image A are pasted onto image B
 * (stvm-method.md row 12).
 *   classes present in ŷ_A: K = {c : ∃i ŷ_A,i = c},  n = |K|
 *   R_c = mean_{i: ŷ_A,i = c} r_A,i                  (mean reliability of class c in A)
 *   choose ⌈n/2⌉ classes of K without replacement, each draw with probability ∝ R_c
 *   (selection 'rare-reliable': ∝ R_c·(1 − f_c), f_c the running pseudo-label frequency of c;
 *    selection 'random': uniformly — the plain ClassMix ablation)
 *   M_i = 1[ŷ_A,i ∈ chosen]; x̃ = M·x_A + (1−M)·x_B; ỹ, r̃ mixed with the same M.
 * Shapes: ŷ_A, r_A ∈ [H·W] (one image); 255 marks pixels without a label and is never chosen.
 */

/** A source of uniform numbers in [0, 1). */
export interface Uniform { next(): number }

export interface ClassChoice {
  /** Classes present in A, ascending. */
  present: number[];
  /** Mean reliability R_c of each present class (same order). */
  meanReliability: number[];
  /** The chosen classes (⌈n/2⌉ of them), in draw order. */
  chosen: number[];
}

/** Per-class mean reliability of the classes present in a label map. */
export function classReliability(labels: Uint8Array, rel: Float32Array, numClasses: number): { present: number[]; mean: number[] } {
  if (labels.length !== rel.length) throw new Error(`classReliability: ${labels.length} labels vs ${rel.length} reliabilities`);
  const sum = new Float64Array(numClasses);
  const cnt = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 255) continue;
    if (y >= numClasses) throw new Error(`classReliability: label ${y} at pixel ${i} is not a class (C = ${numClasses})`);
    sum[y] += rel[i]!;
    cnt[y] += 1;
  }
  const present: number[] = [];
  const mean: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    if (cnt[c]! > 0) {
      present.push(c);
      mean.push(sum[c]! / cnt[c]!);
    }
  }
  return { present, mean };
}

export type ClassSelection = 'reliability' | 'rare-reliable' | 'random';

/**
 * Draws ⌈n/2⌉ of the present classes without replacement, ∝ R_c, ∝ R_c·(1 − f_c) (`freq` f
 * [C] required) or uniformly.
 */
export function chooseClasses(labels: Uint8Array, rel: Float32Array, numClasses: number, selection: ClassSelection, rng: Uniform, freq?: Float64Array): ClassChoice {
  const { present, mean } = classReliability(labels, rel, numClasses);
  const k = Math.ceil(present.length / 2);
  if (selection === 'rare-reliable' && freq?.length !== numClasses) throw new Error(`chooseClasses: 'rare-reliable' needs the running class frequency of ${numClasses} classes`);
  const weight = (c: number, i: number) => selection === 'random' ? 1
    : selection === 'reliability' ? Math.max(0, mean[i]!) : Math.max(0, mean[i]!) * Math.max(0, 1 - freq![c]!);
  const pool = present.map((c, i) => ({ c, w: weight(c, i) }));
  const chosen: number[] = [];
  while (chosen.length < k) {
    let total = pool.reduce((s, p) => s + p.w, 0);
    const uniform = total <= 0;
    if (uniform) total = pool.length;
    let u = rng.next() * total;
    let idx = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      u -= uniform ? 1 : pool[i]!.w;
      if (u < 0) { idx = i; break; }
    }
    chosen.push(pool[idx]!.c);
    pool.splice(idx, 1);
  }
  return { present, meanReliability: mean, chosen };
}

/** M_i = 1[ŷ_i ∈ classes] over one label map [H·W]. */
export function maskOfClasses(labels: Uint8Array, classes: readonly number[]): Uint8Array {
  const set = new Uint8Array(256);
  for (const c of classes) set[c] = 1;
  const m = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) m[i] = set[labels[i]!]!;
  return m;
}
