/**
 * Per-class colour palettes: a saturated "game" palette (source) and a "photo" palette (targets),
 * blended by the style's `palette` severity, with per-instance jitter. Colours are linear-ish
 * RGB in [0, 1]. Every sample draws exactly four random numbers whatever the severity, so the
 * palette knob never shifts any other random draw of the layout.
 */
import type { Rng } from '../rng.js';

export type RGB = readonly [number, number, number];

export interface PaletteEntry {
  readonly game: readonly RGB[];
  readonly photo: readonly RGB[];
  /** Per-channel jitter amplitude of the game palette (photo jitter is mostly luminance). */
  readonly jitter?: number;
}

const c = (r: number, g: number, b: number): RGB => [r, g, b];

export const PALETTE = {
  facade: {
    game: [c(0.95, 0.75, 0.35), c(0.88, 0.45, 0.35), c(0.55, 0.75, 0.95), c(0.92, 0.9, 0.78), c(0.6, 0.85, 0.55), c(0.95, 0.6, 0.72), c(0.75, 0.62, 0.95)],
    photo: [c(0.5, 0.28, 0.2), c(0.6, 0.58, 0.55), c(0.7, 0.64, 0.54), c(0.38, 0.36, 0.34), c(0.78, 0.77, 0.73), c(0.66, 0.55, 0.4)],
    jitter: 0.1,
  },
  facadeSide: { game: [c(0.7, 0.55, 0.3)], photo: [c(0.45, 0.42, 0.4)], jitter: 0.1 },
  window: { game: [c(0.25, 0.45, 0.88), c(0.3, 0.6, 0.95)], photo: [c(0.18, 0.2, 0.23), c(0.28, 0.3, 0.32)], jitter: 0.05 },
  roof: { game: [c(0.82, 0.22, 0.15), c(0.3, 0.3, 0.7)], photo: [c(0.33, 0.24, 0.21), c(0.25, 0.26, 0.28)] },
  road: { game: [c(0.36, 0.36, 0.42)], photo: [c(0.3, 0.3, 0.31), c(0.36, 0.35, 0.34)], jitter: 0.03 },
  marking: { game: [c(1, 1, 1)], photo: [c(0.82, 0.82, 0.78)], jitter: 0 },
  markingYellow: { game: [c(1, 0.85, 0)], photo: [c(0.8, 0.66, 0.22)], jitter: 0 },
  sidewalk: { game: [c(0.82, 0.7, 0.52), c(0.75, 0.75, 0.8)], photo: [c(0.58, 0.56, 0.53), c(0.5, 0.47, 0.45)], jitter: 0.05 },
  curb: { game: [c(0.92, 0.92, 0.92)], photo: [c(0.64, 0.63, 0.6)], jitter: 0.02 },
  ground: { game: [c(0.45, 0.82, 0.3), c(0.7, 0.55, 0.35)], photo: [c(0.33, 0.38, 0.22), c(0.42, 0.37, 0.3)], jitter: 0.05 },
  pole: { game: [c(0.6, 0.6, 0.66), c(0.2, 0.5, 0.3), c(0.25, 0.25, 0.3)], photo: [c(0.4, 0.4, 0.42), c(0.22, 0.24, 0.26), c(0.5, 0.5, 0.48)], jitter: 0.05 },
  signRed: { game: [c(0.95, 0.08, 0.08)], photo: [c(0.7, 0.12, 0.12)], jitter: 0.03 },
  signBlue: { game: [c(0.1, 0.3, 0.95)], photo: [c(0.12, 0.25, 0.6)], jitter: 0.03 },
  signYellow: { game: [c(1, 0.85, 0.1)], photo: [c(0.85, 0.7, 0.2)], jitter: 0.03 },
  signWhite: { game: [c(1, 1, 1)], photo: [c(0.85, 0.85, 0.83)], jitter: 0.02 },
  signGreen: { game: [c(0.05, 0.7, 0.3)], photo: [c(0.1, 0.4, 0.22)], jitter: 0.03 },
  signBack: { game: [c(0.7, 0.7, 0.72)], photo: [c(0.45, 0.45, 0.47)], jitter: 0.03 },
  trafficLight: { game: [c(0.15, 0.15, 0.15), c(0.9, 0.75, 0.1)], photo: [c(0.1, 0.1, 0.1)], jitter: 0.02 },
  trunk: { game: [c(0.55, 0.35, 0.15)], photo: [c(0.3, 0.25, 0.2), c(0.38, 0.34, 0.3)], jitter: 0.06 },
  foliage: { game: [c(0.2, 0.78, 0.2), c(0.38, 0.88, 0.25), c(0.12, 0.62, 0.32)], photo: [c(0.22, 0.32, 0.14), c(0.3, 0.38, 0.17), c(0.17, 0.25, 0.14), c(0.4, 0.4, 0.2)], jitter: 0.08 },
  fence: { game: [c(0.95, 0.95, 0.9), c(0.65, 0.42, 0.2), c(0.3, 0.62, 0.3)], photo: [c(0.33, 0.33, 0.34), c(0.45, 0.38, 0.3), c(0.55, 0.56, 0.56)], jitter: 0.05 },
  paint: {
    game: [c(0.95, 0.12, 0.1), c(0.12, 0.3, 0.95), c(1, 0.82, 0.1), c(0.15, 0.8, 0.25), c(1, 0.5, 0.05), c(0.6, 0.2, 0.85), c(0.1, 0.85, 0.9), c(0.95, 0.95, 0.95)],
    photo: [c(0.85, 0.85, 0.85), c(0.6, 0.61, 0.63), c(0.07, 0.07, 0.08), c(0.33, 0.34, 0.36), c(0.12, 0.16, 0.3), c(0.45, 0.08, 0.08), c(0.62, 0.57, 0.48)],
    jitter: 0.08,
  },
  glass: { game: [c(0.3, 0.62, 0.88)], photo: [c(0.13, 0.15, 0.18)], jitter: 0.04 },
  tyre: { game: [c(0.1, 0.1, 0.1)], photo: [c(0.07, 0.07, 0.07)], jitter: 0.01 },
  tailLight: { game: [c(1, 0.1, 0.1)], photo: [c(0.6, 0.08, 0.06)], jitter: 0.02 },
  headLight: { game: [c(1, 1, 0.8)], photo: [c(0.8, 0.8, 0.75)], jitter: 0.02 },
  skin: { game: [c(0.96, 0.8, 0.65), c(0.8, 0.6, 0.45), c(0.56, 0.38, 0.25), c(0.36, 0.24, 0.16)], photo: [c(0.8, 0.64, 0.52), c(0.65, 0.48, 0.36), c(0.45, 0.31, 0.22), c(0.3, 0.21, 0.15)], jitter: 0.03 },
  top: {
    game: [c(0.95, 0.15, 0.15), c(0.15, 0.35, 0.95), c(0.2, 0.85, 0.3), c(1, 0.85, 0.1), c(0.7, 0.2, 0.9), c(1, 0.5, 0.1)],
    photo: [c(0.12, 0.14, 0.2), c(0.08, 0.08, 0.08), c(0.35, 0.35, 0.36), c(0.4, 0.3, 0.22), c(0.62, 0.56, 0.45), c(0.45, 0.12, 0.12)],
    jitter: 0.08,
  },
  bottom: { game: [c(0.2, 0.3, 0.85), c(0.15, 0.15, 0.18), c(0.75, 0.65, 0.4)], photo: [c(0.15, 0.18, 0.28), c(0.07, 0.07, 0.08), c(0.3, 0.3, 0.31)], jitter: 0.05 },
  hair: { game: [c(0.12, 0.07, 0.04), c(0.45, 0.25, 0.08), c(0.95, 0.8, 0.35)], photo: [c(0.08, 0.06, 0.05), c(0.25, 0.17, 0.1), c(0.5, 0.45, 0.35)], jitter: 0.03 },
  bike: { game: [c(0.95, 0.1, 0.5), c(0.1, 0.75, 0.95), c(1, 0.6, 0.1)], photo: [c(0.15, 0.15, 0.17), c(0.4, 0.1, 0.1), c(0.5, 0.52, 0.55)], jitter: 0.05 },
  misc: { game: [c(0.1, 0.55, 0.2), c(0.95, 0.55, 0.1), c(0.5, 0.5, 0.5)], photo: [c(0.2, 0.25, 0.2), c(0.3, 0.3, 0.3), c(0.4, 0.3, 0.2)], jitter: 0.05 },
} satisfies Record<string, PaletteEntry>;

export type PaletteName = keyof typeof PALETTE;

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * One instance colour: game entry g = game[⌊u·|game|⌋] + jitter·(2j−1) per channel; photo entry
 * p = photo[⌊u·|photo|⌋]·(1 + 0.6·jitter·(2j₀−1)) (luminance jitter); result (1−s)·g + s·p.
 * Always draws 4 numbers (u, j₀, j₁, j₂).
 */
export function sampleColour(rng: Rng, name: PaletteName, paletteSeverity: number): RGB {
  const e: PaletteEntry = PALETTE[name];
  const u = rng.float(), j0 = rng.float(), j1 = rng.float(), j2 = rng.float();
  const amt = e.jitter ?? 0.06;
  const g = e.game[Math.floor(u * e.game.length)]!;
  const p = e.photo[Math.floor(u * e.photo.length)]!;
  const js = [j0, j1, j2];
  const lum = 1 + 0.6 * amt * (2 * j0 - 1) * 2;
  const out = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const gk = clamp01(g[k]! + amt * (2 * js[k]! - 1));
    const pk = clamp01(p[k]! * lum + 0.15 * amt * (2 * js[k]! - 1));
    out[k] = gk + (pk - gk) * paletteSeverity;
  }
  return [out[0]!, out[1]!, out[2]!];
}

/** Multiply a colour by a factor (flat-shaded faces: sides darker than fronts). */
export function shadeRGB(c: RGB, k: number): RGB {
  return [clamp01(c[0] * k), clamp01(c[1] * k), clamp01(c[2] * k)];
}
