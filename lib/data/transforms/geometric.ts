/**
 * Geometric augmentations applied identically to image, label and weight map: random scale,
 * crop with padding, horizontal flip. Padding: image `imageFill` (default 0), label 255
 * (ignored), weight 0 (no loss).
 */
import type { Rng } from '../rng.js';
import { resizeSample } from './resize.js';
import { checkAligned, IGNORE, type ImageU8, type LabelU8, type Sample, type WeightF32 } from './types.js';

/** Resize by a factor s ~ U[min, max]: (H, W) → (round(H·s), round(W·s)). Draws one number. */
export function randomScale(s: Sample, rng: Rng, min: number, max: number): Sample {
  if (!(min > 0 && max >= min)) throw new Error(`randomScale: need 0 < min ≤ max, got [${min}, ${max}]`);
  const f = rng.range(min, max);
  const w = Math.max(1, Math.round(s.image.width * f)), h = Math.max(1, Math.round(s.image.height * f));
  return resizeSample(s, w, h);
}

/**
 * Crop the window [x, x+w) × [y, y+h) (may extend past the borders: padded).
 * (H, W, C) → (h, w, C); label/weight (H, W) → (h, w).
 */
export function cropSample(s: Sample, x: number, y: number, w: number, h: number, imageFill = 0): Sample {
  checkAligned(s, 'cropSample');
  if (!Number.isInteger(x) || !Number.isInteger(y) || !Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new Error(`cropSample: window must be integers with positive size, got x=${x} y=${y} ${w}×${h}`);
  }
  const { width: W, height: H, channels: C } = s.image;
  const img = new Uint8Array(w * h * C).fill(imageFill);
  const lab = s.label ? new Uint8Array(w * h).fill(IGNORE) : undefined;
  const wt = s.weight ? new Float32Array(w * h) : undefined;
  const x0 = Math.max(0, x), x1 = Math.min(W, x + w);
  for (let yy = Math.max(0, y); yy < Math.min(H, y + h); yy++) {
    if (x1 <= x0) break;
    const dy = yy - y;
    img.set(s.image.data.subarray((yy * W + x0) * C, (yy * W + x1) * C), (dy * w + (x0 - x)) * C);
    lab?.set(s.label!.data.subarray(yy * W + x0, yy * W + x1), dy * w + (x0 - x));
    wt?.set(s.weight!.data.subarray(yy * W + x0, yy * W + x1), dy * w + (x0 - x));
  }
  const image: ImageU8 = { width: w, height: h, channels: C, data: img };
  const label: LabelU8 | undefined = lab && { width: w, height: h, data: lab };
  const weight: WeightF32 | undefined = wt && { width: w, height: h, data: wt };
  return { image, ...(label ? { label } : {}), ...(weight ? { weight } : {}) };
}

/**
 * A w×h crop at a uniformly random position; where the sample is smaller than the crop, it
 * is padded and placed at a random offset. Draws two numbers.
 */
export function randomCrop(s: Sample, rng: Rng, w: number, h: number, imageFill = 0): Sample {
  const { width: W, height: H } = s.image;
  const dx = W - w, dy = H - h;
  const x = dx >= 0 ? rng.int(dx + 1) : -rng.int(-dx + 1);
  const y = dy >= 0 ? rng.int(dy + 1) : -rng.int(-dy + 1);
  return cropSample(s, x, y, w, h, imageFill);
}

function flipRows<T extends Uint8Array | Float32Array>(src: T, w: number, h: number, c: number, out: T): T {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const a = (row + x) * c, b = (row + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[b + k] = src[a + k]!;
    }
  }
  return out;
}

/** Mirror left–right: pixel (x, y) → (W−1−x, y), for image, label and weight. */
export function hflipSample(s: Sample): Sample {
  checkAligned(s, 'hflipSample');
  const { width: w, height: h, channels: C } = s.image;
  return {
    image: { width: w, height: h, channels: C, data: flipRows(s.image.data, w, h, C, new Uint8Array(s.image.data.length)) },
    ...(s.label ? { label: { width: w, height: h, data: flipRows(s.label.data, w, h, 1, new Uint8Array(w * h)) } } : {}),
    ...(s.weight ? { weight: { width: w, height: h, data: flipRows(s.weight.data, w, h, 1, new Float32Array(w * h)) } } : {}),
  };
}

/** Flip with probability p (draws one number; returns the input unchanged otherwise). */
export function randomHFlip(s: Sample, rng: Rng, p = 0.5): Sample {
  return rng.float() < p ? hflipSample(s) : s;
}
