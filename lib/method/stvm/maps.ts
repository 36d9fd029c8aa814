/**
 * Small pure array helpers of the self-training iteration (no graph, no runtime).
 */
import type { Rng } from '../../data/rng.js';

/**
 * Bilinear upsampling of N maps [N,h,w] → [N,H,W] with align_corners=True (as the DeepLab
 * logits upsampling, nn.Upsample(mode='bilinear', align_corners=True)): the output pixel
 * (Y, X) samples the input at (Y·(h−1)/(H−1), X·(w−1)/(W−1)).
 */
export function upsampleBilinear(src: Float32Array, n: number, h: number, w: number, outH: number, outW: number): Float32Array {
  if (src.length !== n * h * w) throw new Error(`upsampleBilinear: ${src.length} values, expected ${n}·${h}·${w}`);
  const out = new Float32Array(n * outH * outW);
  const sy = outH > 1 ? (h - 1) / (outH - 1) : 0;
  const sx = outW > 1 ? (w - 1) / (outW - 1) : 0;
  const x0 = new Int32Array(outW), x1 = new Int32Array(outW), fx = new Float32Array(outW);
  for (let X = 0; X < outW; X++) {
    const x = X * sx;
    x0[X] = Math.floor(x);
    x1[X] = Math.min(x0[X]! + 1, w - 1);
    fx[X] = x - x0[X]!;
  }
  for (let b = 0; b < n; b++) {
    const base = b * h * w, obase = b * outH * outW;
    for (let Y = 0; Y < outH; Y++) {
      const y = Y * sy;
      const y0 = Math.floor(y), y1 = Math.min(y0 + 1, h - 1), fy = y - y0;
      const r0 = base + y0 * w, r1 = base + y1 * w, o = obase + Y * outW;
      for (let X = 0; X < outW; X++) {
        const a = src[r0 + x0[X]!]! + (src[r0 + x1[X]!]! - src[r0 + x0[X]!]!) * fx[X]!;
        const c = src[r1 + x0[X]!]! + (src[r1 + x1[X]!]! - src[r1 + x0[X]!]!) * fx[X]!;
        out[o + X] = a + (c - a) * fy;
      }
    }
  }
  return out;
}

/**
 * Area-average downsampling of N maps [N,H,W] → [N,h,w]: output cell (y, x) is the mean of the
 * input pixels (Y, X) with ⌊Y·h/H⌋ = y and ⌊X·w/W⌋ = x (every pixel belongs to exactly one
 * cell; needs h ≤ H and w ≤ W so that no cell is empty).
 */
export function downsampleArea(src: Float32Array, n: number, H: number, W: number, h: number, w: number): Float32Array {
  if (src.length !== n * H * W) throw new Error(`downsampleArea: ${src.length} values, expected ${n}·${H}·${W}`);
  if (h > H || w > W || h < 1 || w < 1) throw new Error(`downsampleArea: cannot shrink ${H}×${W} to ${h}×${w}`);
  const sum = new Float64Array(n * h * w), cnt = new Float64Array(h * w);
  const cx = new Int32Array(W);
  for (let X = 0; X < W; X++) cx[X] = Math.floor((X * w) / W);
  for (let Y = 0; Y < H; Y++) {
    const row = Math.floor((Y * h) / H) * w;
    for (let X = 0; X < W; X++) cnt[row + cx[X]!]! += 1;
  }
  for (let b = 0; b < n; b++) {
    const ib = b * H * W, ob = b * h * w;
    for (let Y = 0; Y < H; Y++) {
      const row = ob + Math.floor((Y * h) / H) * w, r = ib + Y * W;
      for (let X = 0; X < W; X++) sum[row + cx[X]!]! += src[r + X]!;
    }
  }
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / cnt[i % (h * w)]!;
  return out;
}

/**
 * Inputs of the metric step from the pseudo-labels at feature resolution ŷ [M]: one-hot Y
 * [M,C] (float32, all-zero rows where ŷ = 255) and valid [M,1] ∈ {0,1}.
 * Candidates: every labelled location, or — with `confident` = {q [M], fraction ρ < 1} — per
 * class c the ⌈ρ·n_c⌉ locations of class c with the highest teacher confidence q (ties by
 * index), so that the metric network does not learn the teacher's least certain labels as
 * reliable. Then `max` of the candidates drawn uniformly without replacement when there are more.
 */
export function metricTargets(labels: Uint8Array, c: number, max: number, rng: Rng, confident?: { q: Float32Array; fraction: number }): { onehot: Float32Array; valid: Float32Array; used: number } {
  const m = labels.length;
  const onehot = new Float32Array(m * c);
  const valid = new Float32Array(m);
  let idx: number[] = [];
  const byClass: number[][] = Array.from({ length: c }, () => []);
  for (let i = 0; i < m; i++) {
    const y = labels[i]!;
    if (y === 255) continue;
    if (y >= c) throw new Error(`metricTargets: pseudo-label ${y} at location ${i} is not a class (C = ${c})`);
    onehot[i * c + y] = 1;
    idx.push(i);
    byClass[y]!.push(i);
  }
  if (confident && confident.fraction < 1) {
    const q = confident.q;
    if (q.length !== m) throw new Error(`metricTargets: ${q.length} confidences for ${m} locations`);
    idx = [];
    for (const cls of byClass) {
      if (cls.length === 0) continue;
      const keep = Math.ceil(confident.fraction * cls.length);
      cls.sort((a, b) => q[b]! - q[a]! || a - b);
      for (let j = 0; j < keep; j++) idx.push(cls[j]!);
    }
    idx.sort((a, b) => a - b);
  }
  const k = Math.min(max, idx.length);
  if (k === idx.length) for (const i of idx) valid[i] = 1;
  else {
    // partial Fisher–Yates: the first k entries become a uniform sample
    for (let j = 0; j < k; j++) {
      const r = j + rng.int(idx.length - j);
      const t = idx[j]!;
      idx[j] = idx[r]!;
      idx[r] = t;
      valid[idx[j]!] = 1;
    }
  }
  return { onehot, valid, used: k };
}

/** Mean of x over the positions where labels ≠ 255 (0 when none). */
export function maskedMean(x: Float32Array, labels: Uint8Array): number {
  let s = 0, k = 0;
  for (let i = 0; i < x.length; i++) if (labels[i] !== 255) { s += x[i]!; k++; }
  return k === 0 ? 0 : s / k;
}
