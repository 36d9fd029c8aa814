/**
 * Aggregating benchmark rows over seeds (pure):
 *   mean  m = (1/n) Σ_k x_k
 *   std   s = sqrt( Σ_k (x_k − m)² / (n − 1) )   (sample standard deviation; null for n < 2)
 *   gap closed = (method − source-only) / (oracle − source-only)   (null if the gap is ≤ 0)
 * Per-class IoU is averaged per class over the seeds where it is defined (null if never).
 */

export function meanStd(xs: readonly number[]): { mean: number; std: number | null } {
  if (xs.length === 0) throw new Error('meanStd: no values');
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean: m, std: null };
  const v = xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1);
  return { mean: m, std: Math.sqrt(v) };
}

export function gapClosed(method: number, sourceOnly: number, oracle: number): number | null {
  const gap = oracle - sourceOnly;
  return gap > 0 ? (method - sourceOnly) / gap : null;
}

/** Mean per class over the runs (null entries skipped; null if no run defines the class). */
export function meanPerClass(runs: readonly Record<string, number | null>[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  for (const k of keys) {
    const v = runs.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
    out[k] = v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
  }
  return out;
}
