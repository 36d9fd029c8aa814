/**
 * Photometric augmentations of HWC uint8 RGB images (labels and weights are untouched):
 * brightness, contrast, saturation, hue (torchvision ColorJitter semantics), Gaussian blur,
 * Gaussian noise, grayscale. Each op returns a new image, rounded and clamped to [0, 255].
 * Luma: L = 0.299 R + 0.587 G + 0.114 B.
 */
import type { Rng } from '../rng.js';
import type { ImageU8 } from './types.js';

const clamp8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

function rgbOnly(img: ImageU8, op: string): void {
  if (img.channels !== 3) throw new Error(`${op}: needs an RGB image (3 channels), got ${img.channels}`);
}

function map(img: ImageU8, f: (r: number, g: number, b: number, out: Uint8Array, o: number) => void): ImageU8 {
  rgbOnly(img, 'photometric');
  const src = img.data, out = new Uint8Array(src.length);
  for (let o = 0; o < src.length; o += 3) f(src[o]!, src[o + 1]!, src[o + 2]!, out, o);
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** v' = v·f. */
export function adjustBrightness(img: ImageU8, f: number): ImageU8 {
  return map(img, (r, g, b, out, o) => { out[o] = clamp8(r * f); out[o + 1] = clamp8(g * f); out[o + 2] = clamp8(b * f); });
}

/** v' = m + (v − m)·f with m the image's mean luma. */
export function adjustContrast(img: ImageU8, f: number): ImageU8 {
  rgbOnly(img, 'adjustContrast');
  let m = 0;
  const d = img.data;
  for (let o = 0; o < d.length; o += 3) m += 0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!;
  m /= Math.max(1, d.length / 3);
  return map(img, (r, g, b, out, o) => { out[o] = clamp8(m + (r - m) * f); out[o + 1] = clamp8(m + (g - m) * f); out[o + 2] = clamp8(m + (b - m) * f); });
}

/** v' = L + (v − L)·f with L the pixel's luma (f = 0: grayscale). */
export function adjustSaturation(img: ImageU8, f: number): ImageU8 {
  return map(img, (r, g, b, out, o) => {
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    out[o] = clamp8(l + (r - l) * f); out[o + 1] = clamp8(l + (g - l) * f); out[o + 2] = clamp8(l + (b - l) * f);
  });
}

/** Rotate the hue by h turns (h ∈ [−0.5, 0.5]) in HSV space; saturation and value are kept. */
export function adjustHue(img: ImageU8, h: number): ImageU8 {
  if (!(h >= -0.5 && h <= 0.5)) throw new Error(`adjustHue: h must be in [-0.5, 0.5], got ${h}`);
  return map(img, (r, g, b, out, o) => {
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b), c = mx - mn;
    if (c === 0) { out[o] = r; out[o + 1] = g; out[o + 2] = b; return; }
    let hue: number;
    if (mx === r) hue = ((g - b) / c) / 6;
    else if (mx === g) hue = ((b - r) / c + 2) / 6;
    else hue = ((r - g) / c + 4) / 6;
    hue += h;
    hue -= Math.floor(hue);
    const hp = hue * 6, x = c * (1 - Math.abs((hp % 2) - 1));
    let rr = 0, gg = 0, bb = 0;
    if (hp < 1) { rr = c; gg = x; } else if (hp < 2) { rr = x; gg = c; } else if (hp < 3) { gg = c; bb = x; }
    else if (hp < 4) { gg = x; bb = c; } else if (hp < 5) { rr = x; bb = c; } else { rr = c; bb = x; }
    out[o] = clamp8(rr + mn); out[o + 1] = clamp8(gg + mn); out[o + 2] = clamp8(bb + mn);
  });
}

/** Luma replicated to the three channels. */
export function grayscale(img: ImageU8): ImageU8 {
  return adjustSaturation(img, 0);
}

/** Separable Gaussian blur, σ in pixels, kernel radius ⌈3σ⌉, borders clamped. */
export function gaussianBlur(img: ImageU8, sigma: number): ImageU8 {
  const { width: w, height: h, channels: C } = img;
  if (!(sigma > 0)) return { ...img, data: img.data.slice() };
  const rad = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * rad + 1);
  let s = 0;
  for (let i = -rad; i <= rad; i++) { k[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma)); s += k[i + rad]!; }
  for (let i = 0; i < k.length; i++) k[i] /= s;
  const tmp = new Float32Array(w * h * C), out = new Uint8Array(w * h * C), src = img.data;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) {
    let a = 0;
    for (let i = -rad; i <= rad; i++) {
      const xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
      a += src[(y * w + xx) * C + c]! * k[i + rad]!;
    }
    tmp[(y * w + x) * C + c] = a;
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) {
    let a = 0;
    for (let i = -rad; i <= rad; i++) {
      const yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
      a += tmp[(yy * w + x) * C + c]! * k[i + rad]!;
    }
    out[(y * w + x) * C + c] = clamp8(a);
  }
  return { width: w, height: h, channels: C, data: out };
}

/** v' = v + N(0, σ²) per value (σ in 0–255 units). */
export function gaussianNoise(img: ImageU8, rng: Rng, sigma: number): ImageU8 {
  const src = img.data, out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = clamp8(src[i]! + rng.normal(0, sigma));
  return { ...img, data: out };
}

export interface JitterOptions {
  /** Brightness factor ~ U[max(0, 1−b), 1+b]. */
  readonly brightness?: number;
  readonly contrast?: number;
  readonly saturation?: number;
  /** Hue shift ~ U[−h, h] turns, h ≤ 0.5. */
  readonly hue?: number;
}

/**
 * ColorJitter: the four adjustments with random factors, in a random order (as torchvision).
 * Always draws 4 factors + a permutation of 4 (7 numbers), whatever is enabled.
 */
export function colorJitter(img: ImageU8, rng: Rng, o: JitterOptions): ImageU8 {
  const fb = rng.range(Math.max(0, 1 - (o.brightness ?? 0)), 1 + (o.brightness ?? 0));
  const fc = rng.range(Math.max(0, 1 - (o.contrast ?? 0)), 1 + (o.contrast ?? 0));
  const fs = rng.range(Math.max(0, 1 - (o.saturation ?? 0)), 1 + (o.saturation ?? 0));
  const fh = rng.range(-(o.hue ?? 0), o.hue ?? 0);
  const order = rng.permutation(4);
  let out = img;
  for (const k of order) {
    if (k === 0 && o.brightness) out = adjustBrightness(out, fb);
    else if (k === 1 && o.contrast) out = adjustContrast(out, fc);
    else if (k === 2 && o.saturation) out = adjustSaturation(out, fs);
    else if (k === 3 && o.hue) out = adjustHue(out, fh);
  }
  return out === img ? { ...img, data: img.data.slice() } : out;
}

export interface PhotometricOptions {
  /** Colour jitter with probability p. */
  readonly jitter?: JitterOptions & { readonly p?: number };
  /** Gaussian blur with σ ~ U[sigma[0], sigma[1]] px, probability p. */
  readonly blur?: { readonly sigma: readonly [number, number]; readonly p?: number };
  /** Gaussian noise with σ ~ U[sigma[0], sigma[1]] (0–255 units), probability p. */
  readonly noise?: { readonly sigma: readonly [number, number]; readonly p?: number };
  /** Grayscale with probability p. */
  readonly grayscale?: number;
}

/**
 * The enabled photometric ops in a fixed order (jitter, grayscale, blur, noise), each from its
 * own child stream of `rng` (so enabling one never changes the others' random numbers).
 */
export function photometric(img: ImageU8, rng: Rng, o: PhotometricOptions): ImageU8 {
  let out = img;
  if (o.jitter) {
    const r = rng.fork('jitter');
    if (r.float() < (o.jitter.p ?? 1)) out = colorJitter(out, r, o.jitter);
  }
  if (o.grayscale !== undefined) {
    const r = rng.fork('gray');
    if (r.float() < o.grayscale) out = grayscale(out);
  }
  if (o.blur) {
    const r = rng.fork('blur');
    const use = r.float() < (o.blur.p ?? 1);
    const s = r.range(o.blur.sigma[0], o.blur.sigma[1]);
    if (use) out = gaussianBlur(out, s);
  }
  if (o.noise) {
    const r = rng.fork('noise');
    const use = r.float() < (o.noise.p ?? 1);
    const s = r.range(o.noise.sigma[0], o.noise.sigma[1]);
    if (use) out = gaussianNoise(out, r, s);
  }
  return out;
}
