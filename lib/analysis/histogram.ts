/**
 * Fixed-bin histograms of a score, split by a binary group (e.g. the reliability of correct
 * vs wrong pseudo-labels).
 *
 *   bin(s) = min(B−1, max(0, ⌊(s − lo)/(hi − lo) · B⌋)),   counts_g[b] = #{i : group_i = g, bin(s_i) = b}
 *
 * so values outside [lo, hi] are clamped into the first/last bin and hi itself falls in the
 * last bin. Shapes: s [M], group [M] (1 / 0), include [M] (0 = skip) → counts [B] per group.
 */

export interface SplitHistogram {
  readonly lo: number;
  readonly hi: number;
  /** B + 1 bin edges. */
  readonly edges: number[];
  /** Counts of group 1 (e.g. correct pixels) and group 0 (wrong pixels). */
  readonly positive: number[];
  readonly negative: number[];
}

type Scores = Float32Array | Float64Array | readonly number[];
type Mask = Uint8Array | readonly (number | boolean)[];

export function binIndex(s: number, lo: number, hi: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(((s - lo) / (hi - lo)) * bins)));
}

export function splitHistogram(score: Scores, group: Mask, include: Mask | undefined, bins: number, lo = 0, hi = 1): SplitHistogram {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`splitHistogram: bins must be a positive integer (got ${bins})`);
  if (!(hi > lo)) throw new Error(`splitHistogram: need hi > lo (got [${lo}, ${hi}])`);
  if (group.length !== score.length || (include !== undefined && include.length !== score.length)) throw new Error('splitHistogram: score, group and include must have the same length');
  const pos = new Array<number>(bins).fill(0), neg = new Array<number>(bins).fill(0);
  for (let i = 0; i < score.length; i++) {
    if (include !== undefined && !include[i]) continue;
    const s = score[i]!;
    if (Number.isNaN(s)) continue;
    const b = binIndex(s, lo, hi, bins);
    if (group[i]) pos[b]!++;
    else neg[b]!++;
  }
  return { lo, hi, edges: Array.from({ length: bins + 1 }, (_, k) => lo + ((hi - lo) * k) / bins), positive: pos, negative: neg };
}

/** Adds histogram b's counts into a (same bins). */
export function addHistograms(a: SplitHistogram, b: SplitHistogram): SplitHistogram {
  if (a.positive.length !== b.positive.length || a.lo !== b.lo || a.hi !== b.hi) throw new Error('addHistograms: different bins');
  return { ...a, positive: a.positive.map((x, i) => x + b.positive[i]!), negative: a.negative.map((x, i) => x + b.negative[i]!) };
}
