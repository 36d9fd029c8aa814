/**
 * Network input: HWC uint8 → float32 CHW, x = (v/255 − mean_c) / std_c.
 */
import type { ImageU8, TensorCHW } from './types.js';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

export interface NormalizeOptions {
  /** Per-channel mean (on the [0, 1] scale); default 0. */
  readonly mean?: readonly number[];
  /** Per-channel std; default 1. */
  readonly std?: readonly number[];
}

/** Preset by name: 'imagenet' (mean/std above) or 'none' (v/255). */
export function normalizePreset(name: 'imagenet' | 'none'): NormalizeOptions {
  return name === 'imagenet' ? { mean: IMAGENET_MEAN, std: IMAGENET_STD } : {};
}

/**
 * Write (v/255 − mean_c)/std_c of img (H, W, C) into out[offset + c·H·W + y·W + x]
 * (a slot of a batch buffer N×C×H×W).
 */
export function writeCHW(img: ImageU8, out: Float32Array, offset: number, o: NormalizeOptions = {}): void {
  const { width: w, height: h, channels: C, data } = img;
  if (offset + C * w * h > out.length) throw new Error(`writeCHW: ${C}×${h}×${w} does not fit at offset ${offset} of ${out.length}`);
  const plane = w * h;
  for (let c = 0; c < C; c++) {
    const m = o.mean?.[c] ?? 0, s = o.std?.[c] ?? 1;
    if (!(s > 0)) throw new Error(`normalize: std[${c}] must be > 0, got ${s}`);
    const a = 1 / (255 * s), b = -m / s;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = data[i * C + c]! * a + b;
  }
}

/** (H, W, C) uint8 → (C, H, W) float32 normalised. */
export function toCHW(img: ImageU8, o: NormalizeOptions = {}): TensorCHW {
  const data = new Float32Array(img.channels * img.width * img.height);
  writeCHW(img, data, 0, o);
  return { channels: img.channels, height: img.height, width: img.width, data };
}
