/**
 * Shading pass of the SynthStreet renderer: part colour × procedural texture (severity
 * `texture`), then light and white balance (`light`), then depth haze (`haze`), per pixel.
 * Output: float RGB, H×W×3 (HWC), nominally in [0, 1] (clamped later).
 *
 * Textures are functions of the surface coordinates (metres) stored by the geometry pass, so
 * they shrink with distance like real ones; octaves finer than the pixel footprint (depth / f
 * metres) fade out. The source style (texture 0, day light, no haze) is flat: colour = part
 * colour, except the sky's vertical gradient.
 */
import { MAT } from './materials.js';
import { cellHash, fbm } from './noise.js';
import type { FrameBuffers } from './raster.js';
import type { StyleKnobs } from './styles.js';

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
 * Shade every pixel. `seed`: the frame's appearance seed (texture phases, lit windows).
 * Returns float32 HWC RGB.
 */
export function shadeFrame(fb: FrameBuffers, knobs: StyleKnobs, seed: number): Float32Array {
  const { n, depth, part, su, sv } = fb;
  const P = fb.parts;
  const f = fb.cam.f;
  const out = new Float32Array(n * 3);
  const t = knobs.texture;
  const lk = knobs.light.kind, ls = knobs.light.severity;
  const D = hazeDistance(knobs.haze);
  const fog = hazeColour(knobs);
  const skyFog = Math.min(1, knobs.haze * 1.1);
  const skyLut = new Float32Array(256 * 3);
  for (let e = 0; e < 256; e++) skyLut.set(skyColour((e + 0.5) / 256, knobs), 3 * e);
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
        // Clouds: soft fBm puffs, denser toward the horizon.
        const az = u, el = v;
        const cl = fbm(az * 2.2 + 17, el * 7, seed ^ 0x51, 4);
        const cover = lk === 'overcast' ? 0.35 + 0.25 * ls : 0.55;
        const k = Math.max(0, Math.min(1, (cl - cover) * 4)) * t;
        const white = lk === 'dusk' ? 0.55 + 0.3 * (1 - ls) : 0.95;
        const shade = 0.85 + 0.15 * fbm(az * 6, el * 18, seed ^ 0x77, 2);
        r += (white * shade - r) * k; g += (white * shade - g) * k; b += (white * shade * 1.02 - b) * k;
      }
      if (skyFog > 0) { r += (fog[0] - r) * skyFog; g += (fog[1] - g) * skyFog; b += (fog[2] - b) * skyFog; }
      out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b;
      continue;
    }
    r = P.r[p]!; g = P.g[p]!; b = P.b[p]!;
    const fp = z / f;
    const key = P.key[p]!;
    let emissive = false;
    if (t > 0) {
      let k = 1;
      switch (m) {
        case MAT.facade: {
          const n1 = fbm(u * 0.45 + key, v * 0.45, seed, 3, fp * 0.45);
          const n2 = fbm(u * 6 + key, v * 0.3, seed + 11, 2, fp * 6);
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
        case MAT.window: {
          const refl = fbm(u * 0.25 + v * 0.15, v * 0.4, seed + 21 + key, 3, fp * 0.4);
          k = 0.7 + 1.0 * refl;
          break;
        }
        case MAT.roof: {
          const q = v * 6;
          k = 0.85 + 0.3 * fbm(u * 2, v * 2, seed + 31, 2, fp * 2) - (q - Math.floor(q) < 0.15 ? 0.12 : 0);
          break;
        }
        case MAT.road: {
          const grain = fbm(u * 14, v * 14, seed + 41, 2, fp * 14);
          const patch = fbm(u * 0.35, v * 0.12, seed + 43, 3, fp * 0.35);
          const track = Math.cos(u * 3.9) * 0.5 + 0.5;
          k = 1 + 0.35 * (grain - 0.5) + 0.45 * (patch - 0.5) - 0.06 * track;
          break;
        }
        case MAT.marking:
          k = 1 - 0.45 * fbm(u * 4, v * 1.5, seed + 51, 3, fp * 4);
          break;
        case MAT.sidewalk: {
          k = 1 + 0.35 * (fbm(u * 0.8, v * 0.8, seed + 61, 3, fp * 0.8) - 0.5);
          if (fp < 0.1) {
            const a = u / 0.6, c = v / 0.6;
            if (a - Math.floor(a) < 0.07 || c - Math.floor(c) < 0.07) k *= 0.8;
            else k *= 0.94 + 0.12 * cellHash(Math.floor(a), Math.floor(c), seed + 62);
          }
          break;
        }
        case MAT.curb:
          k = 0.9 + 0.2 * fbm(u * 3, v * 3, seed + 71, 2, fp * 3);
          break;
        case MAT.ground: {
          const gn = fbm(u * 6, v * 6, seed + 81, 3, fp * 6);
          k = 0.65 + 0.7 * gn;
          break;
        }
        case MAT.trunk:
          k = 0.7 + 0.6 * fbm(u * 12 + key, v * 0.9, seed + 91, 2, fp * 12);
          break;
        case MAT.foliage: {
          const leaf = fbm(u * 2.6 + key, v * 2.6, seed + 101, 4, fp * 2.6);
          k = 0.45 + 1.1 * leaf;
          if (v < 0) k *= 1 - 0.3 * Math.min(1, -v / 2);
          const yel = Math.max(0, leaf - 0.62) * 1.2;
          r += yel * 0.25; g += yel * 0.15;
          break;
        }
        case MAT.paint: {
          k = 1 + 0.18 * (v - 0.9) + 0.35 * (fbm(u * 1.2 + key, v * 2.5, seed + 111, 2, fp * 1.2) - 0.5);
          break;
        }
        case MAT.glass:
          k = 0.75 + 0.9 * fbm(u * 0.9 + v * 0.6 + key, v * 1.5, seed + 121, 2, fp);
          break;
        case MAT.cloth:
          k = 0.8 + 0.4 * fbm(u * 7 + key, v * 4, seed + 131, 2, fp * 7);
          break;
        case MAT.metal: case MAT.fence: case MAT.signFace: case MAT.misc:
          k = 0.88 + 0.24 * fbm(u * 3 + key, v * 3, seed + 141, 2, fp * 3);
          break;
        default:
          k = 1;
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
    if (D !== Infinity) {
      const h = 1 - Math.exp(-z / D);
      r += (fog[0] - r) * h; g += (fog[1] - g) * h; b += (fog[2] - b) * h;
    }
    out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b;
  }
  return out;
}
