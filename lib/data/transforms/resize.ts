/**
 * Resizing. Images and weight maps: bilinear with half-pixel centres (PyTorch
 * F.interpolate(mode='bilinear', align_corners=False, antialias=False)); source coordinate
 * s = (d + 0.5)·(in/out) − 0.5, clamped to [0, in−1]. Labels: nearest (PyTorch mode='nearest'):
 * s = ⌊d·in/out⌋. Images round to the nearest uint8.
 */
import { checkAligned, type ImageU8, type LabelU8, type Sample, type WeightF32 } from './types.js';

interface Taps { i0: Int32Array; i1: Int32Array; t: Float32Array }

function taps(inN: number, outN: number): Taps {
  const i0 = new Int32Array(outN), i1 = new Int32Array(outN), t = new Float32Array(outN);
  const r = inN / outN;
  for (let d = 0; d < outN; d++) {
    let s = (d + 0.5) * r - 0.5;
    if (s < 0) s = 0;
    if (s > inN - 1) s = inN - 1;
    const a = Math.floor(s);
    i0[d] = a; i1[d] = Math.min(inN - 1, a + 1); t[d] = s - a;
  }
  return { i0, i1, t };
}

function checkSize(w: number, h: number): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) throw new Error(`resize: target size must be positive integers, got ${w}×${h}`);
}

/** Bilinear resize of an HWC uint8 image: (H, W, C) → (h, w, C). */
export function resizeImage(img: ImageU8, w: number, h: number): ImageU8 {
  checkSize(w, h);
  const C = img.channels, W = img.width, src = img.data;
  if (w === img.width && h === img.height) return { width: w, height: h, channels: C, data: src.slice() };
  const tx = taps(img.width, w), ty = taps(img.height, h);
  const out = new Uint8Array(w * h * C);
  for (let y = 0; y < h; y++) {
    const r0 = ty.i0[y]! * W, r1 = ty.i1[y]! * W, b = ty.t[y]!;
    for (let x = 0; x < w; x++) {
      const c0 = tx.i0[x]!, c1 = tx.i1[x]!, a = tx.t[x]!;
      const o = (y * w + x) * C;
      for (let c = 0; c < C; c++) {
        const p00 = src[(r0 + c0) * C + c]!, p01 = src[(r0 + c1) * C + c]!;
        const p10 = src[(r1 + c0) * C + c]!, p11 = src[(r1 + c1) * C + c]!;
        const top = p00 + (p01 - p00) * a, bot = p10 + (p11 - p10) * a;
        out[o + c] = Math.round(top + (bot - top) * b);
      }
    }
  }
  return { width: w, height: h, channels: C, data: out };
}

/** Bilinear resize of a float weight map: (H, W) → (h, w). */
export function resizeWeight(m: WeightF32, w: number, h: number): WeightF32 {
  checkSize(w, h);
  if (w === m.width && h === m.height) return { width: w, height: h, data: m.data.slice() };
  const tx = taps(m.width, w), ty = taps(m.height, h);
  const out = new Float32Array(w * h), W = m.width, src = m.data;
  for (let y = 0; y < h; y++) {
    const r0 = ty.i0[y]! * W, r1 = ty.i1[y]! * W, b = ty.t[y]!;
    for (let x = 0; x < w; x++) {
      const c0 = tx.i0[x]!, c1 = tx.i1[x]!, a = tx.t[x]!;
      const top = src[r0 + c0]! + (src[r0 + c1]! - src[r0 + c0]!) * a;
      const bot = src[r1 + c0]! + (src[r1 + c1]! - src[r1 + c0]!) * a;
      out[y * w + x] = top + (bot - top) * b;
    }
  }
  return { width: w, height: h, data: out };
}

/** Nearest-neighbour resize of a label map: (H, W) → (h, w); values are copied, never mixed. */
export function resizeLabel(l: LabelU8, w: number, h: number): LabelU8 {
  checkSize(w, h);
  const out = new Uint8Array(w * h), W = l.width, src = l.data;
  const xs = new Int32Array(w);
  for (let x = 0; x < w; x++) xs[x] = Math.min(l.width - 1, Math.floor((x * l.width) / w));
  for (let y = 0; y < h; y++) {
    const sy = Math.min(l.height - 1, Math.floor((y * l.height) / h)) * W;
    for (let x = 0; x < w; x++) out[y * w + x] = src[sy + xs[x]!]!;
  }
  return { width: w, height: h, data: out };
}

/** Resize image (bilinear), label (nearest) and weight (bilinear) to w×h together. */
export function resizeSample(s: Sample, w: number, h: number): Sample {
  checkAligned(s, 'resizeSample');
  return {
    image: resizeImage(s.image, w, h),
    ...(s.label ? { label: resizeLabel(s.label, w, h) } : {}),
    ...(s.weight ? { weight: resizeWeight(s.weight, w, h) } : {}),
  };
}
