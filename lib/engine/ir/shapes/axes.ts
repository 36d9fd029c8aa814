/** Axis normalisation and slice-parameter resolution shared by shape inference, folding and gradients. */

/** Normalises a possibly negative axis for the given rank; undefined when out of [-rank, rank). */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

/** Per-axis resolved Slice: element k of the output axis reads input index start + k·step. */
export interface AxisSlice { readonly start: number; readonly step: number; readonly count: number }

/**
 * ONNX Slice semantics (opset 13+): negative starts/ends count from the end; starts/ends are
 * clamped to [0, dim] for positive steps and to [-1, dim-1] (start: [0, dim-1]) for negative
 * steps; count = max(0, ceil((end − start) / step)). Axes not listed keep start 0, step 1, count dim.
 * Returns an error message string instead when the parameters are invalid.
 */
export function resolveSlice(shape: readonly number[], starts: readonly number[], ends: readonly number[],
  axes: readonly number[] | undefined, steps: readonly number[] | undefined): AxisSlice[] | string {
  const r = shape.length;
  if (starts.length !== ends.length) return `starts (${starts.length}) and ends (${ends.length}) differ in length`;
  const ax = axes ?? starts.map((_, i) => i);
  const st = steps ?? starts.map(() => 1);
  if (ax.length !== starts.length || st.length !== starts.length) return 'starts, ends, axes and steps differ in length';
  const out: AxisSlice[] = shape.map((d) => ({ start: 0, step: 1, count: d }));
  const seen = new Set<number>();
  for (let i = 0; i < ax.length; i++) {
    const a = normAxis(ax[i]!, r);
    if (a === undefined) return `axis ${ax[i]} is out of range for rank ${r}`;
    if (seen.has(a)) return `axis ${ax[i]} is repeated`;
    seen.add(a);
    const d = shape[a]!;
    const step = st[i]!;
    if (step === 0) return 'a step is 0';
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const count = Math.max(0, Math.ceil((e - s) / step));
    out[a] = { start: count === 0 ? 0 : s, step, count };
  }
  return out;
}
