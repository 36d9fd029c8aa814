/**
 * Streaming confusion matrix for semantic segmentation.
 *
 * For C classes the matrix M has C rows (ground truth g ∈ [0, C)) and C + 1 columns
 * (prediction p ∈ [0, C), plus column C for a prediction outside [0, C), e.g. 255 "no
 * prediction"). After updates over pixels i with label y_i and prediction ŷ_i:
 *
 *   M[g, p] = #{ i : y_i = g, ŷ_i = p }          for p < C
 *   M[g, C] = #{ i : y_i = g, ŷ_i ∉ [0, C) }
 *
 * Pixels whose label is the ignore index (255) are skipped; so are labels outside [0, C)
 * (counted in `unknownLabelPixels`, a sign of a wrong protocol). Counts are float64, exact up
 * to 2^53 pixels. A prediction outside [0, C) on a valid pixel is a miss for its true class
 * (a false negative), as in cityscapesScripts, where a predicted ignored labelId still adds to
 * the ground-truth row.
 */
export interface ConfusionMatrix {
  readonly numClasses: number;
  readonly ignoreIndex: number;
  /** Row-major C × (C + 1): counts[g * (C + 1) + p]. */
  readonly counts: Float64Array;
  /** Pixels whose label was neither a class nor the ignore index. */
  unknownLabelPixels: number;
}

export function createConfusion(numClasses: number, ignoreIndex = 255): ConfusionMatrix {
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 254) throw new Error(`confusion: bad class count ${numClasses}`);
  if (ignoreIndex >= 0 && ignoreIndex < numClasses) throw new Error(`confusion: ignore index ${ignoreIndex} is a class index`);
  return { numClasses, ignoreIndex, counts: new Float64Array(numClasses * (numClasses + 1)), unknownLabelPixels: 0 };
}

/**
 * Adds one batch: `pred` and `label` hold N = B·H·W values each (any layout, same order).
 * M[y_i, ŷ_i] += 1 for every i with y_i ∈ [0, C).
 */
export function updateConfusion(cm: ConfusionMatrix, pred: ArrayLike<number>, label: ArrayLike<number>): void {
  if (pred.length !== label.length) {
    throw new Error(`confusion: prediction has ${pred.length} values, label has ${label.length}`);
  }
  const C = cm.numClasses;
  const W = C + 1;
  const m = cm.counts;
  const ign = cm.ignoreIndex;
  let unknown = 0;
  for (let i = 0; i < label.length; i++) {
    const g = label[i]!;
    if (g === ign) continue;
    if (!(g >= 0 && g < C) || g !== Math.floor(g)) {
      unknown++;
      continue;
    }
    const p = pred[i]!;
    const col = p >= 0 && p < C && p === Math.floor(p) ? p : C;
    m[g * W + col]!++;
  }
  cm.unknownLabelPixels += unknown;
}

/** a += b (matrices of the same shape), e.g. to merge per-worker matrices. */
export function mergeConfusion(a: ConfusionMatrix, b: ConfusionMatrix): void {
  if (a.numClasses !== b.numClasses || a.ignoreIndex !== b.ignoreIndex) throw new Error('confusion: cannot merge matrices of different shape');
  for (let i = 0; i < a.counts.length; i++) a.counts[i]! += b.counts[i]!;
  a.unknownLabelPixels += b.unknownLabelPixels;
}

/** M[g, p] (p = C for the invalid-prediction column). */
export function confusionAt(cm: ConfusionMatrix, g: number, p: number): number {
  return cm.counts[g * (cm.numClasses + 1) + p]!;
}
