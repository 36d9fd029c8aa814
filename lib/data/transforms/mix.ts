/**
 * Mixing by a binary mask — the arithmetic of ClassMix (Olsson et al., WACV 2021). The mask
 * M_i = 1[ŷ_A,i ∈ S] and the class choice S live in lib/method/stvm/mocm.ts; here:
 *   x̃ = M ⊙ x_A + (1 − M) ⊙ x_B,
 * and the label and the weight map are mixed with the SAME mask:
 *   ỹ = M ⊙ ŷ_A + (1 − M) ⊙ ŷ_B,   r̃ = M ⊙ r_A + (1 − M) ⊙ r_B.
 * Shapes: label (H, W) → mask (H·W) uint8 ∈ {0, 1}; images (H, W, C) uint8 or (C, H, W) float32;
 * labels (H, W) uint8; weights (H, W) float32.
 */
import type { ImageU8, LabelU8, TensorCHW, WeightF32 } from './types.js';

function mixArrays<T extends Uint8Array | Float32Array>(mask: Uint8Array, a: T, b: T, out: T, planes: number, interleaved: boolean): T {
  const n = mask.length;
  if (a.length !== n * planes || b.length !== n * planes) {
    throw new Error(`mixWithMask: mask has ${n} pixels, inputs have ${a.length} and ${b.length} values (${planes} per pixel expected)`);
  }
  if (interleaved) {
    for (let i = 0; i < n; i++) {
      const src = mask[i] ? a : b;
      for (let c = 0; c < planes; c++) out[i * planes + c] = src[i * planes + c]!;
    }
  } else {
    for (let c = 0; c < planes; c++) {
      const o = c * n;
      for (let i = 0; i < n; i++) out[o + i] = mask[i] ? a[o + i]! : b[o + i]!;
    }
  }
  return out;
}

function sameSize(a: { width: number; height: number }, b: { width: number; height: number }): void {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`mixWithMask: sizes differ (${a.width}×${a.height} vs ${b.width}×${b.height})`);
}

/** Mix two images (HWC uint8), two CHW float tensors, two labels or two weight maps by one mask. */
export function mixWithMask(mask: Uint8Array, a: ImageU8, b: ImageU8): ImageU8;
export function mixWithMask(mask: Uint8Array, a: TensorCHW, b: TensorCHW): TensorCHW;
export function mixWithMask(mask: Uint8Array, a: LabelU8, b: LabelU8): LabelU8;
export function mixWithMask(mask: Uint8Array, a: WeightF32, b: WeightF32): WeightF32;
export function mixWithMask(mask: Uint8Array, a: ImageU8 | TensorCHW | LabelU8 | WeightF32, b: ImageU8 | TensorCHW | LabelU8 | WeightF32): ImageU8 | TensorCHW | LabelU8 | WeightF32 {
  sameSize(a, b);
  if (a.data.constructor !== b.data.constructor) throw new Error('mixWithMask: inputs have different element types');
  if ('channels' in a) {
    const C = a.channels;
    if (!('channels' in b) || b.channels !== C) throw new Error('mixWithMask: channel counts differ');
    if (a.data instanceof Float32Array) {
      const data = mixArrays(mask, a.data, b.data as Float32Array, new Float32Array(a.data.length), C, false);
      return { channels: C, height: a.height, width: a.width, data };
    }
    const data = mixArrays(mask, a.data, b.data as Uint8Array, new Uint8Array(a.data.length), C, true);
    return { width: a.width, height: a.height, channels: C, data };
  }
  if (a.data instanceof Float32Array) {
    return { width: a.width, height: a.height, data: mixArrays(mask, a.data, b.data as Float32Array, new Float32Array(a.data.length), 1, true) };
  }
  return { width: a.width, height: a.height, data: mixArrays(mask, a.data, b.data as Uint8Array, new Uint8Array(a.data.length), 1, true) };
}
