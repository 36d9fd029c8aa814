/**
 * Spatially varying illumination of SynthStreet target styles (knob `shadows`): a light field
 * over world space that no global colour statistic can undo (the benchmark's requirement that
 * AdaBN alone must leave most of the gap).
 *
 * Every non-sky pixel is back-projected to its world point P = (X, Y, Z) from its camera depth
 * (camera.ts: x_c = (s_x − c_x)·z/f, y_c = (c_y − s_y)·z/f, Y − h = y_c·cosθ − z·sinθ,
 * Z = y_c·sinθ + z·cosθ). A shadow field σ(P) ∈ [0, 1] is built from world-space value noise, so
 * one shadow falls consistently across road, pavement, cars and facades:
 *   day / overcast light: hard-edged cast shadows of buildings (low-frequency noise over X, Z,
 *     lifted with height Y so upper facades stay lit) plus dappled tree shadows near the ground;
 *     shadow: colour·(1 − 0.72·s)·skylight tint (bluish); lit: colour·(1 + 0.25·s)·sun tint (warm).
 *   dusk light: soft pools of sodium street light along the street (pools every ≈ 14 m of Z),
 *     warm and bright inside, near-black and blue outside.
 * Stateless (hash noise from the frame's appearance seed): it draws no random numbers, so the
 * knob never moves any other random draw. s = 0 leaves the pixel unchanged.
 */
import type { Camera } from './camera.js';
import { fbm } from './noise.js';

export interface LightField {
  /** Multiplicative RGB gain at pixel (sx, sy) with camera depth z (finite). */
  gain(sx: number, sy: number, z: number, out: Float32Array): void;
}

const smooth = (e0: number, e1: number, x: number): number => {
  const t = x <= e0 ? 0 : x >= e1 ? 1 : (x - e0) / (e1 - e0);
  return t * t * (3 - 2 * t);
};

/** The light field of a frame, or null when `severity` is 0. */
export function lightField(cam: Camera, kind: 'day' | 'overcast' | 'dusk', severity: number, seed: number): LightField | null {
  if (!(severity > 0)) return null;
  const { f, cx, cy, camHeight, sinP, cosP } = cam;
  const s = severity;
  // The world point of a pixel, written into one scratch array (float64, as JS numbers are:
  // no per-pixel allocation, same values).
  const P = new Float64Array(3);
  const world = (sx: number, sy: number, z: number): void => {
    const xc = ((sx - cx) * z) / f, yc = ((cy - sy) * z) / f;
    P[0] = xc;
    P[1] = camHeight + yc * cosP - z * sinP;
    P[2] = yc * sinP + z * cosP;
  };
  if (kind === 'dusk') {
    const phase = fbm(0.5, 0.5, seed ^ 0x51ed, 1) * 14;
    return {
      gain(sx, sy, z, out) {
        world(sx, sy, z);
        const X = P[0]!, Y = P[1]!, Z = P[2]!;
        // Distance (m) to the nearest lamp, lamps every 14 m on alternating sides of the street.
        const q = (Z + phase) / 14;
        const k = Math.round(q);
        const side = (k & 1) === 0 ? -4.5 : 4.5;
        const dz = (q - k) * 14, dx = X - side, dy = Math.max(0, Y - 6);
        const d2 = dx * dx + dz * dz + dy * dy;
        const pool = Math.exp(-d2 / 40) * (0.75 + 0.5 * fbm(X * 0.3, Z * 0.3, seed ^ 0x2a, 2));
        const lit = 0.25 + 2.4 * pool;
        out[0] = 1 + s * (lit * 1.25 - 1);
        out[1] = 1 + s * (lit * 0.95 - 1);
        out[2] = 1 + s * (0.45 + 0.9 * pool - 1);
      },
    };
  }
  return {
    gain(sx, sy, z, out) {
      world(sx, sy, z);
      const X = P[0]!, Y = P[1]!, Z = P[2]!;
      // Building shadows: large blobs over the street plane, thinning with height.
      const b = fbm(X * 0.09 + 11.3, Z * 0.045, seed ^ 0x5a1, 3) - 0.02 * Math.max(0, Y - 1);
      let shade = smooth(0.47, 0.5, b);
      // Dappled tree shadows near the ground (sharper, smaller).
      if (Y < 3) {
        const t = fbm(X * 0.9, Z * 0.9, seed ^ 0x7e3, 2);
        shade = Math.max(shade, 0.85 * smooth(0.6, 0.64, t) * (1 - Y / 3));
      }
      const lit = 1 - shade;
      // Shadow: skylight only (dim, blue); lit: sun (bright, warm).
      const sr = 0.28 * 0.85 + lit * (1.25 - 0.28 * 0.85);
      const sg = 0.28 * 0.95 + lit * (1.2 - 0.28 * 0.95);
      const sb = 0.28 * 1.25 + lit * (1.08 - 0.28 * 1.25);
      out[0] = 1 + s * (sr - 1);
      out[1] = 1 + s * (sg - 1);
      out[2] = 1 + s * (sb - 1);
    },
  };
}
