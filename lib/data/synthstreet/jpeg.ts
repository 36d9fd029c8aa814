/**
 * JPEG-like compression artefacts without an encoder: convert to YCbCr (BT.601, 0–255),
 * subsample chroma 2×2 (box), transform 8×8 blocks with the orthonormal 2-D DCT-II, quantise
 * each coefficient to a multiple of Q(u, v) = q·(1 + 0.9·(u + v)) (chroma 2q), transform back,
 * upsample chroma (nearest) and convert to RGB. Blockiness, ringing and colour bleeding appear
 * as in real JPEG. Image sizes need not be multiples of 8 (edge pixels are replicated).
 */

import { scratch } from './scratch.js';

const C8 = (() => {
  const c = new Float64Array(64);
  for (let k = 0; k < 8; k++) {
    const a = k === 0 ? Math.sqrt(1 / 8) : Math.sqrt(2 / 8);
    for (let n = 0; n < 8; n++) c[k * 8 + n] = a * Math.cos(((2 * n + 1) * k * Math.PI) / 16);
  }
  return c;
})();

const blk = new Float64Array(64);
const e4 = new Float64Array(4), o4 = new Float64Array(4);

/**
 * In-place 8-point DCT-II (orthonormal) of x[off + k·stride], k = 0..7, by the even/odd split:
 * X_2k = Σ_n C[2k][n]·(x_n + x_{7−n}), X_2k+1 = Σ_n C[2k+1][n]·(x_n − x_{7−n}), n = 0..3.
 */
function dct8(x: Float64Array, off: number, stride: number): void {
  for (let n = 0; n < 4; n++) {
    const a = x[off + n * stride]!, b = x[off + (7 - n) * stride]!;
    e4[n] = a + b; o4[n] = a - b;
  }
  for (let k = 0; k < 8; k++) {
    const src = (k & 1) === 0 ? e4 : o4;
    const c = k * 8;
    x[off + k * stride] = C8[c]! * src[0]! + C8[c + 1]! * src[1]! + C8[c + 2]! * src[2]! + C8[c + 3]! * src[3]!;
  }
}

/** Inverse of dct8 (DCT-III): x_n = e_n + o_n, x_{7−n} = e_n − o_n with e/o the even/odd sums. */
function idct8(x: Float64Array, off: number, stride: number): void {
  const X0 = x[off]!, X1 = x[off + stride]!, X2 = x[off + 2 * stride]!, X3 = x[off + 3 * stride]!;
  const X4 = x[off + 4 * stride]!, X5 = x[off + 5 * stride]!, X6 = x[off + 6 * stride]!, X7 = x[off + 7 * stride]!;
  for (let n = 0; n < 4; n++) {
    const e = C8[n]! * X0 + C8[16 + n]! * X2 + C8[32 + n]! * X4 + C8[48 + n]! * X6;
    const o = C8[8 + n]! * X1 + C8[24 + n]! * X3 + C8[40 + n]! * X5 + C8[56 + n]! * X7;
    e4[n] = e + o; o4[n] = e - o;
  }
  for (let n = 0; n < 4; n++) {
    x[off + n * stride] = e4[n]!;
    x[off + (7 - n) * stride] = o4[n]!;
  }
}

/** Quantise one plane (w×h, row-major) in place with step table q[64]. */
function quantisePlane(x: Float32Array, w: number, h: number, q: Float64Array): void {
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let i = 0; i < 8; i++) {
        const yy = Math.min(h - 1, by + i) * w;
        for (let j = 0; j < 8; j++) blk[i * 8 + j] = x[yy + Math.min(w - 1, bx + j)]! - 128;
      }
      for (let i = 0; i < 8; i++) dct8(blk, i * 8, 1);
      for (let j = 0; j < 8; j++) dct8(blk, j, 8);
      for (let k = 0; k < 64; k++) {
        const qq = q[k]!;
        blk[k] = Math.round(blk[k]! / qq) * qq;
      }
      for (let j = 0; j < 8; j++) idct8(blk, j, 8);
      for (let i = 0; i < 8; i++) idct8(blk, i * 8, 1);
      for (let i = 0; i < 8 && by + i < h; i++) {
        for (let j = 0; j < 8 && bx + j < w; j++) x[(by + i) * w + bx + j] = blk[i * 8 + j]! + 128;
      }
    }
  }
}

function table(q: number): Float64Array {
  const t = new Float64Array(64);
  for (let u = 0; u < 8; u++) for (let v = 0; v < 8; v++) t[u * 8 + v] = Math.max(1, q * (1 + 0.9 * (u + v)));
  return t;
}

/** Quantiser scale for a severity: q = 1 + 14·s^1.3 (≈ quality 95 at 0, ≈ 15 at 1). */
export function jpegScale(severity: number): number {
  return 1 + 14 * Math.pow(severity, 1.3);
}

/** Apply JPEG-like artefacts to float RGB HWC in [0, 1] (in place). */
export function jpegArtefacts(rgb: Float32Array, w: number, h: number, severity: number): void {
  if (severity <= 0) return;
  const q = jpegScale(severity);
  const n = w * h;
  const Y = scratch('jpeg.y', Float32Array, n);
  const cw = Math.ceil(w / 2), ch = Math.ceil(h / 2);
  const Cb = scratch('jpeg.cb', Float32Array, cw * ch, 0), Cr = scratch('jpeg.cr', Float32Array, cw * ch, 0);
  const cnt = scratch('jpeg.cnt', Float32Array, cw * ch, 0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const r = rgb[3 * i]! * 255, g = rgb[3 * i + 1]! * 255, b = rgb[3 * i + 2]! * 255;
      Y[i] = 0.299 * r + 0.587 * g + 0.114 * b;
      const c = (y >> 1) * cw + (x >> 1);
      Cb[c] += 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      Cr[c] += 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
      cnt[c] += 1;
    }
  }
  for (let c = 0; c < cw * ch; c++) { Cb[c] /= cnt[c]!; Cr[c] /= cnt[c]!; }
  quantisePlane(Y, w, h, table(q));
  const tc = table(2 * q);
  quantisePlane(Cb, cw, ch, tc);
  quantisePlane(Cr, cw, ch, tc);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, c = (y >> 1) * cw + (x >> 1);
      const yy = Y[i]!, cb = Cb[c]! - 128, cr = Cr[c]! - 128;
      rgb[3 * i] = (yy + 1.402 * cr) / 255;
      rgb[3 * i + 1] = (yy - 0.344136 * cb - 0.714136 * cr) / 255;
      rgb[3 * i + 2] = (yy + 1.772 * cb) / 255;
    }
  }
}
