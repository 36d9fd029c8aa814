/**
 * Segmentation metrics from a confusion matrix M (see confusion.ts; rows = ground truth
 * g ∈ [0, C), columns = prediction p ∈ [0, C] with C = "invalid prediction").
 *
 *   TP_c = M[c, c]
 *   FP_c = Σ_{g ≠ c} M[g, c]                 (pixels of other classes predicted as c)
 *   FN_c = Σ_{p ≠ c, p ≤ C} M[c, p]          (pixels of c predicted as anything else,
 *                                            including an invalid prediction)
 *   IoU_c = TP_c / (TP_c + FP_c + FN_c)
 *
 * Absent classes (cityscapesScripts convention): when TP_c + FP_c + FN_c = 0 — the class
 * appears neither in the ground truth nor in the prediction — IoU_c is NaN and is left out of
 * the mean. A class absent from the ground truth but predicted somewhere has IoU_c = 0 and
 * counts. So
 *
 *   mIoU = (1 / |V|) Σ_{c ∈ V} IoU_c,   V = { c ∈ S : IoU_c is not NaN }
 *
 * over the evaluated class set S (all C classes, or a subset such as the 13 classes of
 * SYNTHIA's mIoU* inside a 16-class model); NaN when V is empty.
 *
 *   pixel accuracy      = Σ_c TP_c / Σ_{c, p} M[c, p]     (valid ground-truth pixels)
 *   class accuracy_c    = TP_c / Σ_p M[c, p]              (recall; NaN if c is absent from GT)
 *   mean class accuracy = mean of the non-NaN class accuracies
 */
import type { ConfusionMatrix } from './confusion.js';

function row(cm: ConfusionMatrix, c: number): number {
  const W = cm.numClasses + 1;
  let s = 0;
  for (let p = 0; p < W; p++) s += cm.counts[c * W + p]!;
  return s;
}

function col(cm: ConfusionMatrix, c: number): number {
  const W = cm.numClasses + 1;
  let s = 0;
  for (let g = 0; g < cm.numClasses; g++) s += cm.counts[g * W + c]!;
  return s;
}

/** IoU_c for every class (NaN for classes absent from both ground truth and prediction). */
export function iouPerClass(cm: ConfusionMatrix): Float64Array {
  const C = cm.numClasses;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const tp = cm.counts[c * (C + 1) + c]!;
    const fn = row(cm, c) - tp;
    const fp = col(cm, c) - tp;
    const d = tp + fp + fn;
    out[c] = d === 0 ? NaN : tp / d;
  }
  return out;
}

/** Mean of the non-NaN values of `values` (restricted to `indices` when given); NaN if none. */
export function nanMean(values: ArrayLike<number>, indices?: readonly number[]): number {
  const idx = indices ?? Array.from({ length: values.length }, (_, i) => i);
  let s = 0;
  let n = 0;
  for (const i of idx) {
    if (!(i >= 0 && i < values.length)) throw new Error(`nanMean: index ${i} outside 0..${values.length - 1}`);
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

/** mIoU over all classes, or over the class subset `indices`. */
export function meanIoU(cm: ConfusionMatrix, indices?: readonly number[]): number {
  return nanMean(iouPerClass(cm), indices);
}

/** Σ_c TP_c / (number of valid ground-truth pixels); NaN when there is none. */
export function pixelAccuracy(cm: ConfusionMatrix): number {
  const C = cm.numClasses;
  let tp = 0;
  let all = 0;
  for (let c = 0; c < C; c++) {
    tp += cm.counts[c * (C + 1) + c]!;
    all += row(cm, c);
  }
  return all === 0 ? NaN : tp / all;
}

/** Recall per class (NaN for classes absent from the ground truth). */
export function classAccuracy(cm: ConfusionMatrix): Float64Array {
  const C = cm.numClasses;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const r = row(cm, c);
    out[c] = r === 0 ? NaN : cm.counts[c * (C + 1) + c]! / r;
  }
  return out;
}

/** Ground-truth pixels per class (row sums). */
export function classPixels(cm: ConfusionMatrix): Float64Array {
  const out = new Float64Array(cm.numClasses);
  for (let c = 0; c < cm.numClasses; c++) out[c] = row(cm, c);
  return out;
}
