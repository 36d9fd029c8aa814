/** Data helpers of the adaptation benches: the target images, their augmentation and the evaluation options of a run config (as cli/adapt.ts builds them). */
import { openUnlabelledDataset } from '../lib/data/datasets/index.js';
import type { UnlabelledDataset } from '../lib/data/datasets/types.js';
import type { AugmentSpec } from '../lib/data/transforms/pipeline.js';
import type { AdaptConfig, AdaptDataConfig } from '../lib/method/self-training-config.js';
import { datasetSpecOf } from '../lib/train/data-config.js';
import type { EvaluateOptions } from '../lib/train/evaluate.js';
import type { SegModelFile } from '../lib/train/model-file.js';
import { synthStreetImages } from '../lib/train/synth-dataset.js';

/** The data fields of a target/eval section (extra fields of the eval section are ignored by the readers). */
export const dataOf = (d: AdaptDataConfig): AdaptDataConfig => d;

/** Unlabelled target images of a run config (SynthStreet frames or a dataset split). */
export async function targetImages(d: AdaptDataConfig, count?: number): Promise<UnlabelledDataset> {
  if (d.source === 'synthstreet') return synthStreetImages({ seed: d.synthSeed, count: count ?? d.count, style: d.style, width: d.width, height: d.height });
  return openUnlabelledDataset(datasetSpecOf(d));
}

export function targetAugment(c: AdaptConfig): AugmentSpec {
  const a = c.augment;
  return {
    ...(a.resizeWidth > 0 ? { resize: [a.resizeWidth, a.resizeHeight] as const } : {}),
    ...(a.scaleMin !== 1 || a.scaleMax !== 1 ? { scale: [a.scaleMin, a.scaleMax] as const } : {}),
    crop: [a.cropWidth, a.cropHeight],
    ...(a.flip > 0 ? { flip: a.flip } : {}),
  };
}

export function evalOptions(c: AdaptConfig, m: SegModelFile): EvaluateOptions {
  return {
    normalize: m.meta.normalize, batch: c.eval.batch, numClasses: m.meta.spec.numClasses,
    ...(c.eval.resizeWidth > 0 ? { resize: [c.eval.resizeWidth, c.eval.resizeHeight] as const } : {}),
    ...(c.eval.limit > 0 ? { limit: c.eval.limit } : {}),
  };
}

