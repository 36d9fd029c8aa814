/**
 * Shading pass of the SynthStreet renderer: part colour (autumn-shifted by `season`) ×
 * procedural texture (severity `texture`), then light and white balance (`light`), then the
 * spatial light field (`shadows`: cast shadows, or street-light pools at dusk), then depth haze
 * (`haze`), per pixel.
 * Output: float RGB, H×W×3 (HWC), nominally in [0, 1] (clamped later).
 *
 * Textures are functions of the surface coordinates (metres) stored by the geometry pass, so
 * they shrink with distance like real ones; octaves finer than the pixel footprint (depth / f
 * metres) fade out. The source style (texture 0, day light, no haze) is flat: colour = part
 * colour, except the sky's vertical gradient.
 */
import { MAT } from './materials.js';
import { cellHash, fbmBatch } from './noise.js';
import type { FrameBuffers } from './raster.js';
import type { StyleKnobs } from './styles.js';
import { scratch } from './scratch.js';
import { lightField } from './lighting.js';
import { seasonShift } from './season.js';

type V3 = [number, number, number];
const mix3 = (a: V3, b: V3, t: number): V3 => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

const DAY_H: V3 = [0.72, 0.86, 1.0], DAY_Z: V3 = [0.22, 0.48, 0.92];
const OVC_H: V3 = [0.8, 0.81, 0.83], OVC_Z: V3 = [0.6, 0.63, 0.68];
const DUSK_H: V3 = [1.0, 0.58, 0.3], DUSK_M: V3 = [0.58, 0.4, 0.58], DUSK_Z: V3 = [0.14, 0.16, 0.34];

/** Sky colour for elevation e (sine of the ray's angle above the horizon). */
export function skyColour(e: number, knobs: StyleKnobs): V3 {
  const k = e <= 0 ? 0 : e >= 0.45 ? 1 : e / 0.45;
  let c = mix3(DAY_H, DAY_Z, Math.sqrt(k));
  const s = knobs.light.severity;
  if (knobs.light.kind === 'overcast') c = mix3(c, mix3(OVC_H, OVC_Z, k), s);
  else if (knobs.light.kind === 'dusk') {
    const d = k < 0.35 ? mix3(DUSK_H, DUSK_M, k / 0.35) : mix3(DUSK_M, DUSK_Z, (k - 0.35) / 0.65);
    c = mix3(c, d, s);
  }
  return c;
}

/** Fog colour under the style's light. */
export function hazeColour(knobs: StyleKnobs): V3 {
  const s = knobs.light.severity;
  if (knobs.light.kind === 'overcast') return mix3([0.82, 0.86, 0.92], [0.8, 0.81, 0.83], s);
  if (knobs.light.kind === 'dusk') return mix3([0.82, 0.86, 0.92], [0.32, 0.28, 0.33], s);
  return [0.82, 0.86, 0.92];
}

/** Haze length scale D(s) = 1500·e^(−5.2 s) metres (∞ at s = 0). */
export function hazeDistance(s: number): number {
  return s <= 0 ? Infinity : 1500 * Math.exp(-5.2 * s);
}

/**
 * Texture coordinates of the two noise layers per material: layer 1 (3 octaves) and layer 2
 * (2 octaves), each (x, y) = (ax·u + bx·v + key·ox, ay·v) with footprint fp·max(|ax|, |bx|).
 * A missing layer is skipped. Values tuned by eye; the meaning of each layer is in combine().
 */
interface Layer { readonly ax: number; readonly bx: number; readonly ay: number }
const L = (ax: number, bx: number, ay: number): Layer => ({ ax, bx, ay });
const LAYERS: readonly (readonly [Layer | null, Layer | null])[] = (() => {
  const t: [Layer | null, Layer | null][] = [];
  for (let m = 0; m <= 21; m++) t.push([null, null]);
  t[MAT.sky] = [L(2.2, 0, 7), L(6, 0, 18)];
  t[MAT.facade] = [L(0.45, 0, 0.45), L(6, 0, 0.3)];
  t[MAT.window] = [L(0.25, 0.15, 0.4), null];
  t[MAT.roof] = [L(2, 0, 2), null];
  t[MAT.road] = [L(0.35, 0, 0.12), L(14, 0, 14)];
  t[MAT.marking] = [L(4, 0, 1.5), null];
  t[MAT.sidewalk] = [L(0.8, 0, 0.8), null];
  t[MAT.curb] = [L(3, 0, 3), null];
  t[MAT.ground] = [L(6, 0, 6), null];
  t[MAT.trunk] = [null, L(12, 0, 0.9)];
  t[MAT.foliage] = [L(2.6, 0, 2.6), null];
  t[MAT.paint] = [null, L(1.2, 0, 2.5)];
  t[MAT.glass] = [null, L(0.9, 0.6, 1.5)];
  t[MAT.cloth] = [null, L(7, 0, 4)];
  for (const m of [MAT.metal, MAT.fence, MAT.signFace, MAT.misc]) t[m] = [null, L(3, 0, 3)];
  return t;
})();

/**
 * Shade every pixel. `seed`: the frame's appearance seed (texture phases, lit windows).
 * Returns float32 HWC RGB (a scratch buffer, valid until the next frame).
 */
export function shadeFrame(fb: FrameBuffers, knobs: StyleKnobs, seed: number): Float32Array {
  const { n, depth, part, su, sv } = fb;
  const P = fb.parts;
  const f = fb.cam.f;
  const out = scratch('shade.rgb', Float32Array, n * 3);
  const t = knobs.texture;
  const lk = knobs.light.kind, ls = knobs.light.severity;
  const D = hazeDistance(knobs.haze);
  const fog = hazeColour(knobs);
  const skyFog = Math.min(1, knobs.haze * 1.1);
  const skyLut = new Float32Array(256 * 3);
  for (let e = 0; e < 256; e++) skyLut.set(skyColour((e + 0.5) / 256, knobs), 3 * e);
  const N1 = scratch('shade.n1', Float32Array, n), N2 = scratch('shade.n2', Float32Array, n);
  const field = lightField(fb.cam, lk, knobs.shadows, seed ^ 0x1f3d);
  const W = fb.cam.width;
  const tmp = new Float32Array(3);
  if (t > 0) {
    const X1 = scratch('shade.x1', Float32Array, n), Y1 = scratch('shade.y1', Float32Array, n), F1 = scratch('shade.f1', Float32Array, n);
    const X2 = scratch('shade.x2', Float32Array, n), Y2 = scratch('shade.y2', Float32Array, n), F2 = scratch('shade.f2', Float32Array, n);
    for (let i = 0; i < n; i++) {
      const p = part[i]!;
      const m = P.mat[p]!;
      const lay = LAYERS[m]!;
      const u = su[i]!, v = sv[i]!;
      const isSky = m === MAT.sky;
      const fp = isSky ? 0 : depth[i]! / f;
      const off = isSky ? 17 : P.key[p]! * 0.37;
      const l1 = lay[0], l2 = lay[1];
      if (l1 !== null) {
        X1[i] = l1.ax * u + l1.bx * v + off; Y1[i] = l1.ay * v;
        F1[i] = fp * Math.max(l1.ax, l1.ay);
      } else F1[i] = -1;
      if (l2 !== null) {
        X2[i] = l2.ax * u + l2.bx * v + off; Y2[i] = l2.ay * v;
        F2[i] = fp * Math.max(l2.ax, l2.ay);
      } else F2[i] = -1;
    }
    fbmBatch(X1, Y1, F1, N1, n, seed, 3);
    fbmBatch(X2, Y2, F2, N2, n, seed ^ 0x2f6b, 2);
  }
  for (let i = 0; i < n; i++) {
    const p = part[i]!;
    const m = P.mat[p]!;
    const z = depth[i]!;
    const u = su[i]!, v = sv[i]!;
    let r: number, g: number, b: number;
    if (m === MAT.sky) {
      // Sky colours are tabulated per 1/256 of elevation (no per-pixel allocation).
      const e = v <= 0 ? 0 : v >= 1 ? 255 : (v * 256) | 0;
      r = skyLut[3 * e]!; g = skyLut[3 * e + 1]!; b = skyLut[3 * e + 2]!;
      if (t > 0) {
        // Clouds: soft fBm puffs.
        const cover = lk === 'overcast' ? 0.35 + 0.25 * ls : 0.55;
        const k = Math.max(0, Math.min(1, (N1[i]! - cover) * 4)) * t;
        const white = lk === 'dusk' ? 0.55 + 0.3 * (1 - ls) : 0.95;
        const shade = 0.85 + 0.15 * N2[i]!;
        r += (white * shade - r) * k; g += (white * shade - g) * k; b += (white * shade * 1.02 - b) * k;
      }
      if (skyFog > 0) { r += (fog[0] - r) * skyFog; g += (fog[1] - g) * skyFog; b += (fog[2] - b) * skyFog; }
      out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b;
      continue;
    }
    r = P.r[p]!; g = P.g[p]!; b = P.b[p]!;
    const key = P.key[p]!;
    if (knobs.season > 0) {
      tmp[0] = r; tmp[1] = g; tmp[2] = b;
      if (seasonShift(m, key, knobs.season, tmp)) { r = tmp[0]!; g = tmp[1]!; b = tmp[2]!; }
    }
    let emissive = false;
    if (t > 0) {
      const n1 = N1[i]!, n2 = N2[i]!;
      const fp = z / f;
      let k = 1;
      switch (m) {
        case MAT.facade: {
          k = 1 + 0.45 * (n1 - 0.5) + 0.3 * (n2 - 0.5);
          if ((key & 1) === 1 && fp < 0.08) {
            // Brick courses.
            const row = Math.floor(v / 0.3);
            const q = (u + (row & 1) * 0.3) / 0.6;
            const fu = q - Math.floor(q), fv = v / 0.3 - row;
            if (fu < 0.06 || fv < 0.12) k *= 0.82;
            else k *= 0.92 + 0.16 * cellHash(Math.floor(q), row, seed + key);
          }
          if (v < 1.2) k *= 1 - 0.2 * (1.2 - v);
          break;
        }
        case MAT.window: k = 0.7 + 1.0 * n1; break;
        case MAT.roof: {
          const q = v * 6;
          k = 0.85 + 0.3 * n1 - (q - Math.floor(q) < 0.15 ? 0.12 : 0);
          break;
        }
        case MAT.road: k = 1 + 0.45 * (n1 - 0.5) + 0.35 * (n2 - 0.5) - 0.06 * (Math.cos(u * 3.9) * 0.5 + 0.5); break;
        case MAT.marking: k = 1 - 0.45 * n1; break;
        case MAT.sidewalk: {
          k = 1 + 0.35 * (n1 - 0.5);
          if (fp < 0.1) {
            const a = u / 0.6, c = v / 0.6;
            if (a - Math.floor(a) < 0.07 || c - Math.floor(c) < 0.07) k *= 0.8;
            else k *= 0.94 + 0.12 * cellHash(Math.floor(a), Math.floor(c), seed + 62);
          }
          break;
        }
        case MAT.curb: k = 0.9 + 0.2 * n1; break;
        case MAT.ground: k = 0.65 + 0.7 * n1; break;
        case MAT.trunk: k = 0.7 + 0.6 * n2; break;
        case MAT.foliage: {
          k = 0.45 + 1.1 * n1;
          if (v < 0) k *= 1 - 0.3 * Math.min(1, -v / 2);
          const yel = Math.max(0, n1 - 0.62) * 1.2 * t;
          r += yel * 0.25; g += yel * 0.15;
          break;
        }
        case MAT.paint: k = 1 + 0.18 * (v - 0.9) + 0.35 * (n2 - 0.5); break;
        case MAT.glass: k = 0.75 + 0.9 * n2; break;
        case MAT.cloth: k = 0.8 + 0.4 * n2; break;
        case MAT.metal: case MAT.fence: case MAT.signFace: case MAT.misc: k = 0.88 + 0.24 * n2; break;
        default: k = 1;
      }
      const kk = 1 + (k - 1) * t;
      r *= kk; g *= kk; b *= kk;
    }
    // Light and white balance.
    if (lk === 'overcast' && ls > 0) {
      const lum = 0.299 * r + 0.587 * g + 0.114 * b;
      const d = 0.5 * ls;
      r += (lum - r) * d; g += (lum - g) * d; b += (lum - b) * d;
      const gain = 1 - 0.18 * ls, lift = 0.05 * ls;
      r = (r * gain + lift) * (1 - 0.05 * ls); g = g * gain + lift; b = (b * gain + lift) * (1 + 0.07 * ls);
    } else if (lk === 'dusk' && ls > 0) {
      if (m === MAT.lamp) emissive = true;
      else if (m === MAT.window) {
        const cx = Math.floor(u / Math.max(0.5, P.p0[p]!)), cy = Math.floor(v / Math.max(1, P.p1[p]!));
        if (cellHash(cx, cy, seed + key) < 0.4 * ls) {
          r = 1.0; g = 0.78; b = 0.42;
          emissive = true;
        }
      }
      if (!emissive) {
        const gain = 1 - 0.68 * ls;
        r *= gain * (1 + 0.22 * ls); g *= gain * (1 + 0.02 * ls); b *= gain * (1 - 0.1 * ls);
      } else if (m === MAT.lamp) {
        r = Math.max(r, 1.0); g = Math.max(g, 0.9); b = Math.max(b, 0.6);
      }
    }
    if (field !== null && !emissive) {
      field.gain((i % W) + 0.5, Math.floor(i / W) + 0.5, z, tmp);
      r *= tmp[0]!; g *= tmp[1]!; b *= tmp[2]!;
    }
    if (D !== Infinity) {
      const h = 1 - Math.exp(-z / D);
      r += (fog[0] - r) * h; g += (fog[1] - g) * h; b += (fog[2] - b) * h;
    }
    out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b;
  }
  return out;
}
