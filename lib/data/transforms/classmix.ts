/**
 * ClassMix (Olsson et al., WACV 2021) mask utilities. For images A and B and a set of classes
 * S present in A's (pseudo-)label:
 *   M_i = 1[ŷ_A,i ∈ S],   x̃ = M ⊙ x_A + (1 − M) ⊙ x_B,
 * and the label and the weight map are mixed with the SAME mask:
 *   ỹ = M ⊙ ŷ_A + (1 − M) ⊙ ŷ_B,   r̃ = M ⊙ r_A + (1 − M) ⊙ r_B.
 * Shapes: label (H, W) → mask (H·W) uint8 ∈ {0, 1}; images (H, W, C) uint8 or (C, H, W) float32;
 * labels (H, W) uint8; weights (H, W) float32.
 */
import type { Rng } from '../rng.js';
import { IGNORE, type ImageU8, type LabelU8, type Sample, type TensorCHW, type WeightF32 } from './types.js';

/** M_i = 1 if label_i ∈ classes, else 0 (the ignore id is in the mask only if listed). */
export function classMixMask(label: LabelU8 | Uint8Array, classes: Iterable<number>): Uint8Array {
  const data = label instanceof Uint8Array ? label : label.data;
  const sel = new Uint8Array(256);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c > 255) throw new Error(`classMixMask: class ids must be integers in 0..255, got ${c}`);
    sel[c] = 1;
  }
  const m = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) m[i] = sel[data[i]!]!;
  return m;
}

/** Sorted class ids present in a label, without the ignore id. */
export function presentClasses(label: LabelU8 | Uint8Array, ignore = IGNORE): number[] {
  const data = label instanceof Uint8Array ? label : label.data;
  const seen = new Uint8Array(256);
  for (let i = 0; i < data.length; i++) seen[data[i]!] = 1;
  const out: number[] = [];
  for (let c = 0; c < 256; c++) if (seen[c] && c !== ignore) out.push(c);
  return out;
}

/**
 * Choose ⌈n/2⌉ of the n present classes without replacement: uniformly (ClassMix), or with
 * probability ∝ weight(c) at every draw (MOCM: weight = mean reliability of class c); when the
 * remaining weights are all 0 the draw is uniform. Draws exactly ⌈n/2⌉ numbers.
 */
export function pickMixClasses(present: readonly number[], rng: Rng, weight?: (c: number) => number): number[] {
  const pool = [...present];
  const k = Math.ceil(pool.length / 2);
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    const w = pool.map((c) => (weight ? Math.max(0, weight(c)) : 1));
    const total = w.reduce((a, b) => a + b, 0);
    let idx: number;
    if (total > 0) {
      let x = rng.float() * total;
      idx = pool.length - 1;
      for (let i = 0; i < pool.length; i++) { x -= w[i]!; if (x < 0) { idx = i; break; } }
      while (w[idx] === 0) idx--;
    } else idx = rng.int(pool.length);
    out.push(pool[idx]!);
    pool.splice(idx, 1);
  }
  return out.sort((a, b) => a - b);
}

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

/** Mix image, label and weight of two samples with ONE mask (fields present in both). */
export function mixSample(mask: Uint8Array, a: Sample, b: Sample): Sample {
  if ((a.label === undefined) !== (b.label === undefined) || (a.weight === undefined) !== (b.weight === undefined)) {
    throw new Error('mixSample: both samples must have the same fields (label, weight)');
  }
  return {
    image: mixWithMask(mask, a.image, b.image),
    ...(a.label ? { label: mixWithMask(mask, a.label, b.label!) } : {}),
    ...(a.weight ? { weight: mixWithMask(mask, a.weight, b.weight!) } : {}),
  };
}
