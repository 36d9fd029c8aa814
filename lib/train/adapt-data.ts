/**
 * The data of an adaptation run config (lib/method/self-training-config.ts), in one place for
 * the adapt command and the benches: the unlabelled target images, their weak augmentation, the
 * labelled split of the diagnostic evaluation and its options.
 *
 * `protocol` is the source model's class protocol; a data section's own `protocol` field, when
 * set, wins (datasetSpecOf).
 */
import { openLabelledDataset, openUnlabelledDataset } from '../data/datasets/index.js';
import type { LabelledDataset, UnlabelledDataset } from '../data/datasets/types.js';
import type { AugmentSpec } from '../data/transforms/pipeline.js';
import { datasetSpecOf, type AdaptConfig, type AdaptDataConfig } from './adapt-config.js';
import type { EvaluateOptions } from './evaluate.js';
import type { ModelMeta } from '../model/model-file.js';
import { synthStreetDataset, synthStreetImages } from './synth-dataset.js';

/**
 * The target images: label-free by type (UnlabelledDataset); no label path is opened.
 * `count` overrides the number of SynthStreet frames (e.g. AdaBN's statistics pass).
 */
export async function targetImages(d: AdaptDataConfig, protocol: string, count?: number): Promise<UnlabelledDataset> {
  if (d.source === 'synthstreet') return synthStreetImages({ seed: d.synthSeed, count: count ?? d.count, style: d.style, width: d.width, height: d.height });
  return openUnlabelledDataset(datasetSpecOf(d, protocol));
}

/** The labelled split of the diagnostic evaluation. */
export async function evalDataset(d: AdaptDataConfig, protocol: string): Promise<LabelledDataset> {
  if (d.source === 'synthstreet') return synthStreetDataset({ seed: d.synthSeed, count: d.count, style: d.style, width: d.width, height: d.height });
  return openLabelledDataset(datasetSpecOf(d, protocol));
}

/** Weak (geometric) augmentation of the target images, before the teacher. */
export function targetAugment(c: AdaptConfig): AugmentSpec {
  const a = c.augment;
  return {
    ...(a.resizeWidth > 0 ? { resize: [a.resizeWidth, a.resizeHeight] as const } : {}),
    ...(a.scaleMin !== 1 || a.scaleMax !== 1 ? { scale: [a.scaleMin, a.scaleMax] as const } : {}),
    crop: [a.cropWidth, a.cropHeight],
    ...(a.flip > 0 ? { flip: a.flip } : {}),
  };
}

/** Options of the diagnostic evaluation of a model (its input normalisation and classes). */
export function evalOptions(c: AdaptConfig, meta: Pick<ModelMeta, 'normalize' | 'classes'>): EvaluateOptions {
  return {
    normalize: meta.normalize, batch: c.eval.batch, numClasses: meta.classes.length,
    ...(c.eval.resizeWidth > 0 ? { resize: [c.eval.resizeWidth, c.eval.resizeHeight] as const } : {}),
    ...(c.eval.limit > 0 ? { limit: c.eval.limit } : {}),
  };
}
