/**
 * A serialisable augmentation recipe (plain JSON: it travels to loader workers) and its
 * application: resize → random scale → random crop → random flip → photometric. Geometric
 * steps move image, label and weight together; photometric ones touch the image only. Each
 * step draws from its own child stream of the sample's Rng, so enabling a step never changes
 * the random numbers of the others.
 */
import type { Rng } from '../rng.js';
import { randomCrop, randomHFlip, randomScale } from './geometric.js';
import type { NormalizeOptions } from './normalize.js';
import { normalizePreset } from './normalize.js';
import { photometric, type PhotometricOptions } from './photometric.js';
import { resizeSample } from './resize.js';
import type { Sample } from './types.js';

export interface AugmentSpec {
  /** Resize to [width, height] first (bilinear image/weight, nearest label). */
  readonly resize?: readonly [number, number];
  /** Random scale factor range [min, max]. */
  readonly scale?: readonly [number, number];
  /** Random crop [width, height]; smaller samples are padded (label 255, weight 0). */
  readonly crop?: readonly [number, number];
  /** Horizontal flip probability (0..1). */
  readonly flip?: number;
  readonly photometric?: PhotometricOptions;
  /** Network-input normalisation: 'imagenet', 'none' (v/255), or explicit {mean, std}. */
  readonly normalize?: 'imagenet' | 'none' | NormalizeOptions;
  /** Image value used for crop padding (default 0). */
  readonly padValue?: number;
}

const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Validate a recipe; errors name the field (`where` prefixes them, e.g. the config file). */
export function validateAugment(spec: AugmentSpec, where = 'augment'): AugmentSpec {
  if (spec === null || typeof spec !== 'object') throw new Error(`${where}: expected an object`);
  const known = ['resize', 'scale', 'crop', 'flip', 'photometric', 'normalize', 'padValue'];
  for (const k of Object.keys(spec)) if (!known.includes(k)) throw new Error(`${where}.${k}: unknown field (known: ${known.join(', ')})`);
  for (const k of ['resize', 'crop'] as const) {
    const v = spec[k];
    if (v !== undefined && (!isPair(v) || !v.every((x) => Number.isInteger(x) && x >= 1))) throw new Error(`${where}.${k}: expected [width, height] positive integers, got ${JSON.stringify(v)}`);
  }
  if (spec.scale !== undefined && (!isPair(spec.scale) || !(spec.scale[0] > 0 && spec.scale[1] >= spec.scale[0]))) {
    throw new Error(`${where}.scale: expected [min, max] with 0 < min ≤ max, got ${JSON.stringify(spec.scale)}`);
  }
  if (spec.flip !== undefined && !(typeof spec.flip === 'number' && spec.flip >= 0 && spec.flip <= 1)) throw new Error(`${where}.flip: expected a probability in [0, 1], got ${JSON.stringify(spec.flip)}`);
  if (spec.normalize !== undefined && typeof spec.normalize === 'string' && !['imagenet', 'none'].includes(spec.normalize)) {
    throw new Error(`${where}.normalize: expected 'imagenet', 'none' or {mean, std}, got '${spec.normalize}'`);
  }
  if (spec.padValue !== undefined && !(Number.isInteger(spec.padValue) && spec.padValue >= 0 && spec.padValue <= 255)) throw new Error(`${where}.padValue: expected an integer in 0..255`);
  return spec;
}

/** The recipe's normalisation options. */
export function normalizeOptions(spec: AugmentSpec): NormalizeOptions {
  const n = spec.normalize ?? 'none';
  return typeof n === 'string' ? normalizePreset(n) : n;
}

/** Apply the geometric and photometric steps of `spec` to a sample (uint8 image out). */
export function augment(s: Sample, spec: AugmentSpec, rng: Rng): Sample {
  let out = s;
  if (spec.resize) out = resizeSample(out, spec.resize[0], spec.resize[1]);
  if (spec.scale) out = randomScale(out, rng.fork('scale'), spec.scale[0], spec.scale[1]);
  if (spec.crop) out = randomCrop(out, rng.fork('crop'), spec.crop[0], spec.crop[1], spec.padValue ?? 0);
  if (spec.flip) out = randomHFlip(out, rng.fork('flip'), spec.flip);
  if (spec.photometric) out = { ...out, image: photometric(out.image, rng.fork('photometric'), spec.photometric) };
  return out;
}
