/**
 * AUROC of a score for separating two groups (here: correct vs wrong pseudo-labels), exact.
 *
 * With positives P (e.g. pixels whose pseudo-label is correct) and negatives N (wrong ones),
 *
 *   AUROC = (1/(|P|·|N|)) Σ_{i∈P} Σ_{j∈N} ( 1[s_i > s_j] + ½·1[s_i = s_j] )
 *         = (R_P − |P|(|P|+1)/2) / (|P|·|N|)       (Mann–Whitney U with mid-ranks R)
 *
 * i.e. the probability that a random positive scores higher than a random negative, ties
 * counting one half — the area under the ROC curve with ties drawn as diagonal segments.
 * Computed in O(n log n): both groups' scores are sorted and, for each positive, the
 * negatives below it and equal to it are counted with a moving pointer.
 * Shapes: score s [M] (float32/64), positive mask [M] (uint8/bool: 1 = positive, 0 = negative),
 * optional include mask [M] (0 = pixel excluded, e.g. a void ground-truth label).
 * Undefined (NaN) when either group is empty. NaN scores are an error.
 */

export interface AurocResult {
  readonly auroc: number;
  readonly positives: number;
  readonly negatives: number;
}

type Scores = Float32Array | Float64Array | readonly number[];
type Mask = Uint8Array | readonly (number | boolean)[];

export function auroc(score: Scores, positive: Mask, include?: Mask): AurocResult {
  const m = score.length;
  if (positive.length !== m) throw new Error(`auroc: ${m} scores but ${positive.length} labels`);
  if (include !== undefined && include.length !== m) throw new Error(`auroc: ${m} scores but ${include.length} include flags`);
  let np = 0, nn = 0;
  for (let i = 0; i < m; i++) {
    if (include !== undefined && !include[i]) continue;
    if (Number.isNaN(score[i]!)) throw new Error(`auroc: score ${i} is NaN`);
    if (positive[i]) np++;
    else nn++;
  }
  const pos = new Float64Array(np), neg = new Float64Array(nn);
  let a = 0, b = 0;
  for (let i = 0; i < m; i++) {
    if (include !== undefined && !include[i]) continue;
    if (positive[i]) pos[a++] = score[i]!;
    else neg[b++] = score[i]!;
  }
  if (np === 0 || nn === 0) return { auroc: NaN, positives: np, negatives: nn };
  pos.sort();
  neg.sort();
  // for ascending positives, lo = #neg < s, hi = #neg ≤ s
  let lo = 0, hi = 0, u = 0;
  for (let i = 0; i < np; i++) {
    const s = pos[i]!;
    while (lo < nn && neg[lo]! < s) lo++;
    if (hi < lo) hi = lo;
    while (hi < nn && neg[hi]! <= s) hi++;
    u += lo + 0.5 * (hi - lo);
  }
  return { auroc: u / (np * nn), positives: np, negatives: nn };
}

/**
 * Correctness of pseudo-labels against the ground truth: positive[i] = 1[ŷ_i = y_i],
 * include[i] = 1[y_i ≠ ignore ∧ ŷ_i ≠ ignore]. Shapes [M] (uint8).
 */
export function pseudoLabelCorrectness(pred: Uint8Array, gt: Uint8Array, ignore = 255): { positive: Uint8Array; include: Uint8Array } {
  if (pred.length !== gt.length) throw new Error(`pseudoLabelCorrectness: ${pred.length} predictions but ${gt.length} labels`);
  const positive = new Uint8Array(pred.length), include = new Uint8Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    if (gt[i] === ignore || pred[i] === ignore) continue;
    include[i] = 1;
    positive[i] = pred[i] === gt[i] ? 1 : 0;
  }
  return { positive, include };
}
