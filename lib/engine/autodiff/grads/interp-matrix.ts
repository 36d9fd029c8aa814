/**
 * One-axis interpolation matrices of ONNX Resize (linear and nearest), so that resizing the last
 * two axes of X[..., H, W] is Y = A_h · X · A_wᵀ with A_h [Ho, H], A_w [Wo, W]; the adjoint is
 * dX = A_hᵀ · dY · A_w.
 *
 * Coordinates follow onnxruntime's CPU kernel in float32 (x = output index, s = float32 scale,
 * L_in / L_out the axis lengths):
 *   half_pixel:          x' = (x + 0.5) / s − 0.5            (PyTorch align_corners=False)
 *   pytorch_half_pixel:  x' = L_out > 1 ? (x + 0.5) / s − 0.5 : 0
 *   align_corners:       x' = L_out == 1 ? 0 : x · (L_in − 1) / (L_out − 1)
 *   asymmetric:          x' = x / s
 * linear:  x' clamped to [0, L_in − 1]; i0 = floor(x'), i1 = min(i0 + 1, L_in − 1), λ = x' − i0;
 *          A[x, i0] += 1 − λ, A[x, i1] += λ.
 * nearest: i = rounding(x') by nearest_mode (round_prefer_floor: halves go down, round_prefer_ceil:
 *          halves go up, floor, ceil), clamped to [0, L_in − 1]; A[x, i] = 1.
 *          asymmetric + floor is PyTorch's F.interpolate(mode='nearest').
 * The float32 emulation matters for nearest, where a coordinate landing on an integer decides the
 * source pixel; test/engine/nn-pool.test.ts checks these matrices against onnxruntime.
 */

export type CoordMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';
export const COORD_MODES: readonly CoordMode[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
export const NEAREST_MODES: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

export interface AxisInterp {
  readonly mode: 'linear' | 'nearest';
  readonly coord: CoordMode;
  readonly nearest: NearestMode;
}

const f = Math.fround;

/** Source coordinate of output index x (float32 arithmetic as in onnxruntime). */
export function sourceCoord(x: number, inLen: number, outLen: number, scale: number, coord: CoordMode): number {
  switch (coord) {
    case 'half_pixel': return f(f(f(x + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'align_corners': return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'asymmetric': return f(x / scale);
  }
}

function roundNearest(v: number, mode: NearestMode): number {
  switch (mode) {
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    case 'round_prefer_floor': return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v);
    case 'round_prefer_ceil': return Math.round(v); // JS rounds halves up
  }
}

/** Source index of each output position for nearest mode. */
export function nearestIndices(inLen: number, outLen: number, scale: number, it: AxisInterp): number[] {
  const idx: number[] = [];
  for (let x = 0; x < outLen; x++) {
    const i = roundNearest(sourceCoord(x, inLen, outLen, scale, it.coord), it.nearest);
    idx.push(Math.min(Math.max(i, 0), inLen - 1));
  }
  return idx;
}

/** Row-major [outLen, inLen] interpolation matrix (float64 values). */
export function interpMatrix(inLen: number, outLen: number, scale: number, it: AxisInterp): Float64Array {
  const a = new Float64Array(outLen * inLen);
  if (it.mode === 'nearest') {
    nearestIndices(inLen, outLen, scale, it).forEach((i, x) => { a[x * inLen + i] = 1; });
    return a;
  }
  for (let x = 0; x < outLen; x++) {
    const c = Math.min(Math.max(sourceCoord(x, inLen, outLen, scale, it.coord), 0), inLen - 1);
    const i0 = Math.floor(c);
    const i1 = Math.min(i0 + 1, inLen - 1);
    const lam = c - i0;
    a[x * inLen + i0] += 1 - lam;
    a[x * inLen + i1] += lam;
  }
  return a;
}

/** Whether a square matrix is the identity (within 1e-12). */
export function isIdentity(a: Float64Array, n: number, m: number): boolean {
  if (n !== m) return false;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) if (Math.abs(a[i * m + j]! - (i === j ? 1 : 0)) > 1e-12) return false;
  return true;
}

/** k when every output x reads input floor(x / k) and L_out = k·L_in (integer nearest upsampling), else 0. */
export function integerUpFactor(idx: readonly number[], inLen: number): number {
  const outLen = idx.length;
  if (outLen % inLen !== 0 || outLen === inLen) return 0;
  const k = outLen / inLen;
  return idx.every((i, x) => i === Math.floor(x / k)) ? k : 0;
}

/** Transpose of a row-major [rows, cols] matrix. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}
