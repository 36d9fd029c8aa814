/**
 * Season shift of SynthStreet target styles (knob `season`): autumn vegetation. Foliage parts
 * turn orange, red, yellow or brown (chosen per part from its key, so one canopy keeps one
 * hue) and grass turns dry brown, with severity s blending from the part's own colour:
 *   c' = (1 − s)·c + s·min(1.2, 1.6·lum(c)/lum(a))·a,   a = the part's autumn colour, lum = Rec. 601
 *   luma (brightness roughly kept, hue replaced). Source foliage is saturated green; these autumn hues sit
 * where the source palette keeps facades, roofs and fences — a class-conditional colour change
 * that a global colour fix (AdaBN) cannot undo. Stateless; no random draws.
 */
import { MAT } from './materials.js';

type V3 = readonly [number, number, number];
const AUTUMN: readonly V3[] = [[0.85, 0.42, 0.12], [0.75, 0.2, 0.1], [0.9, 0.72, 0.2], [0.55, 0.36, 0.18], [0.8, 0.55, 0.15]];
const DRY_GRASS: V3 = [0.62, 0.5, 0.3];
const lum = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

/** Recolour in place (out = [r, g, b]) a part of material `mat` with key `key`; returns false if untouched. */
export function seasonShift(mat: number, key: number, s: number, out: Float32Array): boolean {
  if (!(s > 0) || (mat !== MAT.foliage && mat !== MAT.ground)) return false;
  const a = mat === MAT.foliage ? AUTUMN[key % AUTUMN.length]! : DRY_GRASS;
  const k = lum(out[0]!, out[1]!, out[2]!) / lum(a[0], a[1], a[2]);
  for (let c = 0; c < 3; c++) out[c] = (1 - s) * out[c]! + s * Math.min(1.2, k * 1.6) * a[c]!;
  return true;
}
