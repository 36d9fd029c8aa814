/** Seeded, pure data transforms (explicit Rng argument). */
export type { ImageU8, LabelU8, WeightF32, TensorCHW, Sample } from './types.js';
export { IGNORE, checkAligned } from './types.js';
export { resizeImage, resizeLabel, resizeWeight, resizeSample } from './resize.js';
export { randomScale, cropSample, randomCrop, hflipSample, randomHFlip } from './geometric.js';
export {
  adjustBrightness, adjustContrast, adjustSaturation, adjustHue, grayscale, gaussianBlur, gaussianNoise, colorJitter, photometric,
} from './photometric.js';
export type { JitterOptions, PhotometricOptions } from './photometric.js';
export { IMAGENET_MEAN, IMAGENET_STD, toCHW, writeCHW, normalizePreset } from './normalize.js';
export type { NormalizeOptions } from './normalize.js';
export { mixWithMask } from './mix.js';
export { augment, validateAugment, normalizeOptions } from './pipeline.js';
export type { AugmentSpec } from './pipeline.js';
