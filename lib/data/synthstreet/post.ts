/**
 * Camera post-processing of SynthStreet frames, on float RGB HWC in [0, 1]: low-resolution
 * capture (box downsample + bilinear upsample), Gaussian blur, sensor noise, JPEG-like
 * artefacts, and the final rounding to uint8. Every step is a no-op at severity 0.
 */
import { Rng, mix32 } from '../rng.js';
import { jpegArtefacts } from './jpeg.js';
import type { StyleKnobs } from './styles.js';
import { scratch } from './scratch.js';

/** Box-downsample by `k` (area average of pixel centres) and bilinear-upsample back, in place. */
export function lowResolution(rgb: Float32Array, w: number, h: number, k: number): void {
  if (k <= 1.05) return;
  const w2 = Math.max(1, Math.round(w / k)), h2 = Math.max(1, Math.round(h / k));
  const small = scratch('lowres.small', Float32Array, w2 * h2 * 3, 0), cnt = scratch('lowres.cnt', Float32Array, w2 * h2, 0);
  // Column/row maps: the small pixel each pixel centre falls in; bilinear sources and weights.
  const colS = new Int32Array(w), rowS = new Int32Array(h);
  const cx0 = new Int32Array(w), cx1 = new Int32Array(w), ctx = new Float32Array(w);
  const ry0 = new Int32Array(h), ry1 = new Int32Array(h), rty = new Float32Array(h);
  for (let x = 0; x < w; x++) {
    colS[x] = Math.min(w2 - 1, Math.floor(((x + 0.5) * w2) / w));
    const fx = Math.max(0, ((x + 0.5) * w2) / w - 0.5);
    cx0[x] = Math.min(w2 - 1, Math.floor(fx)); cx1[x] = Math.min(w2 - 1, cx0[x]! + 1); ctx[x] = fx - cx0[x]!;
  }
  for (let y = 0; y < h; y++) {
    rowS[y] = Math.min(h2 - 1, Math.floor(((y + 0.5) * h2) / h));
    const fy = Math.max(0, ((y + 0.5) * h2) / h - 0.5);
    ry0[y] = Math.min(h2 - 1, Math.floor(fy)); ry1[y] = Math.min(h2 - 1, ry0[y]! + 1); rty[y] = fy - ry0[y]!;
  }
  for (let y = 0; y < h; y++) {
    const base = rowS[y]! * w2;
    for (let x = 0; x < w; x++) {
      const j = base + colS[x]!, i = y * w + x;
      small[3 * j] += rgb[3 * i]!; small[3 * j + 1] += rgb[3 * i + 1]!; small[3 * j + 2] += rgb[3 * i + 2]!;
      cnt[j] += 1;
    }
  }
  for (let j = 0; j < w2 * h2; j++) {
    const c = 1 / (cnt[j]! || 1);
    small[3 * j] *= c; small[3 * j + 1] *= c; small[3 * j + 2] *= c;
  }
  for (let y = 0; y < h; y++) {
    const r0 = ry0[y]! * w2, r1 = ry1[y]! * w2, ty = rty[y]!;
    for (let x = 0; x < w; x++) {
      const a0 = 3 * (r0 + cx0[x]!), b0 = 3 * (r0 + cx1[x]!), d0 = 3 * (r1 + cx0[x]!), e0 = 3 * (r1 + cx1[x]!);
      const tx = ctx[x]!;
      const i = 3 * (y * w + x);
      for (let c = 0; c < 3; c++) {
        const a = small[a0 + c]!, b = small[b0 + c]!, d = small[d0 + c]!, e = small[e0 + c]!;
        const top = a + (b - a) * tx, bot = d + (e - d) * tx;
        rgb[i + c] = top + (bot - top) * ty;
      }
    }
  }
}

/** Separable Gaussian blur (σ in pixels, radius ⌈3σ⌉, edges clamped), in place. */
export function gaussianBlurRGB(rgb: Float32Array, w: number, h: number, sigma: number): void {
  if (sigma < 0.2) return;
  const rad = Math.min(Math.ceil(3 * sigma), Math.floor((Math.min(w, h) - 1) / 2));
  if (rad < 1) return;
  const ker = new Float32Array(2 * rad + 1);
  let s = 0;
  for (let i = -rad; i <= rad; i++) { ker[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma)); s += ker[i + rad]!; }
  for (let i = 0; i < ker.length; i++) ker[i] /= s;
  const tmp = scratch('blur.tmp', Float32Array, rgb.length);
  // Horizontal: clamped taps only near the left/right edges.
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0;
      if (x >= rad && x < w - rad) {
        let j = 3 * (row + x - rad);
        for (let k = 0; k <= 2 * rad; k++, j += 3) {
          const kw = ker[k]!;
          r += rgb[j]! * kw; g += rgb[j + 1]! * kw; b += rgb[j + 2]! * kw;
        }
      } else {
        for (let k = -rad; k <= rad; k++) {
          const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
          const j = 3 * (row + xx), kw = ker[k + rad]!;
          r += rgb[j]! * kw; g += rgb[j + 1]! * kw; b += rgb[j + 2]! * kw;
        }
      }
      const i = 3 * (row + x);
      tmp[i] = r; tmp[i + 1] = g; tmp[i + 2] = b;
    }
  }
  // Vertical: whole rows at a time.
  const W3 = 3 * w;
  for (let y = 0; y < h; y++) {
    const o = y * W3;
    for (let q = 0; q < W3; q++) rgb[o + q] = 0;
    for (let k = -rad; k <= rad; k++) {
      const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
      const src = yy * W3, kw = ker[k + rad]!;
      for (let q = 0; q < W3; q++) rgb[o + q] += tmp[src + q]! * kw;
    }
  }
}

/** 65 536 standard normal deviates (Box–Muller from a fixed stream), looked up by hashed index. */
let gaussTable: Float32Array | undefined;
function gaussians(): Float32Array {
  if (gaussTable === undefined) {
    const r = new Rng(['synthstreet-gauss-table']);
    gaussTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) gaussTable[i] = r.normal();
  }
  return gaussTable;
}

/**
 * Sensor noise: σ(I) = s·(0.02 + 0.04·√I) per pixel; 70 % of the variance shared by the three
 * channels (luma), 30 % independent (chroma). In place. The normals come from a fixed table of
 * 2^16 deviates indexed by a hash of (pixel, channel, frame key from `rng`): 2 hashes a pixel.
 */
export function sensorNoise(rgb: Float32Array, s: number, rng: Rng): void {
  if (s <= 0) return;
  const G = gaussians();
  const n = rgb.length / 3;
  const a = Math.sqrt(0.7), b = Math.sqrt(0.3);
  const k1 = rng.nextU32() | 0, k2 = rng.nextU32() | 0;
  for (let i = 0; i < n; i++) {
    const lum = Math.max(0, 0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!);
    const sd = s * (0.02 + 0.04 * Math.sqrt(lum));
    const h1 = mix32(Math.imul(i, 0x9e3779b1) ^ k1), h2 = mix32(Math.imul(i, 0x85ebca77) ^ k2);
    const l = G[h1 & 0xffff]! * a;
    rgb[3 * i] += sd * (l + b * G[h1 >>> 16]!);
    rgb[3 * i + 1] += sd * (l + b * G[h2 & 0xffff]!);
    rgb[3 * i + 2] += sd * (l + b * G[h2 >>> 16]!);
  }
}

/** Round float RGB in [0, 1] to uint8 (clamped). */
export function toUint8(rgb: Float32Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) {
    const v = rgb[i]! * 255 + 0.5;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v | 0;
  }
  return out;
}

/** All camera effects of a style, in capture order: lowres → blur → noise → JPEG. */
export function postProcess(rgb: Float32Array, w: number, h: number, knobs: StyleKnobs, rng: Rng): Uint8Array {
  lowResolution(rgb, w, h, 1 + 2.5 * knobs.lowres);
  gaussianBlurRGB(rgb, w, h, 1.6 * knobs.blur);
  sensorNoise(rgb, knobs.noise, rng);
  jpegArtefacts(rgb, w, h, knobs.jpeg);
  return toUint8(rgb);
}
