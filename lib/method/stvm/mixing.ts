/**
 * Batch mixing of the student input (stvm-method.md row 12), one mask per image:
 *   for image A = i of the batch and its partner B = (i+1) mod N:
 *   mocm:             chosen = ⌈n/2⌉ classes of ŷ_A drawn ∝ mean reliability R_c (lib/method/mocm.ts)
 *   mocm-rare:        chosen = ⌈n/2⌉ classes of ŷ_A drawn ∝ R_c·(1 − f_c) (f = running class frequency)
 *   classmix-random:  chosen = ⌈n/2⌉ classes of ŷ_A drawn uniformly (ClassMix)
 *   M = 1[ŷ_A ∈ chosen];  x̃ = M·x_A + (1−M)·x_B
 * and every per-pixel map of the teacher view (ŷ, q, r, softmax probabilities) is mixed with the
 * same M (lib/data/transforms/mix.ts mixWithMask). 'none' returns the batch unchanged.
 * Randomness: image i draws from rng.fork('mix', i).
 */
import type { Rng } from '../../data/rng.js';
import { mixWithMask } from '../../data/transforms/mix.js';
import type { ImageU8 } from '../../data/transforms/types.js';
import { chooseClasses, maskOfClasses } from './mocm.js';
import type { TeacherView } from '../weighting/registry.js';

export type MixingMode = 'none' | 'classmix-random' | 'mocm' | 'mocm-rare';

export interface MixResult {
  readonly images: ImageU8[];
  readonly view: TeacherView;
  /** Fraction of the batch's pixels taken from image A (mean of the masks; 0 for 'none'). */
  readonly mixedFraction: number;
  /** The chosen classes per image. */
  readonly chosen: number[][];
}

function slice<T extends Uint8Array | Float32Array>(a: T, i: number, len: number): T {
  return a.subarray(i * len, (i + 1) * len) as T;
}

/** `freq`: the running pseudo-label class frequency f [C] ('mocm-rare' only). */
export function mixBatch(images: readonly ImageU8[], view: TeacherView, mode: MixingMode, rng: Rng, freq?: Float64Array): MixResult {
  const { n, height: h, width: w, numClasses: c } = view;
  if (images.length !== n) throw new Error(`mixBatch: ${images.length} images for a view of ${n}`);
  if (mode === 'none') return { images: [...images], view, mixedFraction: 0, chosen: images.map(() => []) };
  if ((mode === 'mocm' || mode === 'mocm-rare') && view.reliability === undefined) throw new Error('mixBatch: MOCM needs the metric reliability (turn the metric network on, or use classmix-random)');
  const plane = h * w;
  const labels = new Uint8Array(n * plane);
  const conf = new Float32Array(n * plane);
  const rel = view.reliability ? new Float32Array(n * plane) : undefined;
  const probs = view.probs ? new Float32Array(n * c * plane) : undefined;
  const out: ImageU8[] = [];
  const chosen: number[][] = [];
  let mixed = 0;
  for (let a = 0; a < n; a++) {
    const b = (a + 1) % n;
    const yA = slice(view.labels, a, plane);
    // chooseClasses needs a reliability per pixel even for the uniform draw (it is then unused)
    const rA = view.reliability ? slice(view.reliability, a, plane) : new Float32Array(plane);
    const r = rng.fork('mix', a);
    const selection = mode === 'mocm' ? 'reliability' : mode === 'mocm-rare' ? 'rare-reliable' : 'random';
    const pick = chooseClasses(yA, rA, c, selection, { next: () => r.float() }, freq);
    const mask = maskOfClasses(yA, pick.chosen);
    chosen.push(pick.chosen);
    for (let i = 0; i < plane; i++) mixed += mask[i]!;
    out.push(mixWithMask(mask, images[a]!, images[b]!));
    const u8 = (src: Uint8Array, dst: Uint8Array) => dst.set(mixWithMask(mask, { width: w, height: h, data: slice(src, a, plane) }, { width: w, height: h, data: slice(src, b, plane) }).data, a * plane);
    const f32 = (src: Float32Array, dst: Float32Array) => dst.set(mixWithMask(mask, { width: w, height: h, data: slice(src, a, plane) }, { width: w, height: h, data: slice(src, b, plane) }).data, a * plane);
    u8(view.labels, labels);
    f32(view.confidence, conf);
    if (rel) f32(view.reliability!, rel);
    if (probs) {
      const m = mixWithMask(mask, { channels: c, height: h, width: w, data: slice(view.probs!, a, c * plane) }, { channels: c, height: h, width: w, data: slice(view.probs!, b, c * plane) });
      probs.set(m.data, a * c * plane);
    }
  }
  const mixedView: TeacherView = { n, height: h, width: w, numClasses: c, labels, confidence: conf, ...(rel ? { reliability: rel } : {}), ...(probs ? { probs } : {}) };
  return { images: out, view: mixedView, mixedFraction: mixed / (n * plane), chosen };
}
