/**
 * The source-training config (configs/source/*.json), validated with lib/config/schema.ts:
 * unknown fields and ill-typed values are errors naming the field's path. Lists are written
 * as comma-separated strings ("6,12", "0006R0,0016E5") because the schema is scalar.
 */
import { ConfigError, validate, type Resolved, type Schema } from '../config/schema.js';
import { mobileNetV2DeepLabSpec, smallDeepLabSpec, type DeepLabSpec } from '../engine/models/spec.js';
import { configHash } from './config-hash.js';

const datasetFields = {
  source: { type: 'enum', values: ['synthstreet', 'dataset'], default: 'synthstreet', doc: 'synthstreet: frames rendered on the fly; dataset: a labelled dataset on disk' },
  style: { type: 'string', default: 'source', doc: 'SynthStreet style preset (source | overcast-photo | dusk | foggy-lowres | sunny-photo)' },
  synthSeed: { type: 'int', default: 1, doc: 'SynthStreet dataset seed (train 1, validation 1001 by convention)' },
  count: { type: 'int', default: 2000, min: 1, doc: 'SynthStreet: number of frames of the virtual dataset' },
  width: { type: 'int', default: 240, min: 16, doc: 'SynthStreet frame width; also the model\'s recorded input width' },
  height: { type: 'int', default: 180, min: 16, doc: 'SynthStreet frame height; also the model\'s recorded input height' },
  kind: { type: 'string', default: 'camvid', doc: 'dataset: layout kind (camvid | cityscapes | gta5 | synthia | nthu)' },
  root: { type: 'string', default: '../shared/data/camvid', doc: 'dataset: root folder (relative to the working directory)' },
  split: { type: 'string', default: 'train', doc: "dataset: split(s), e.g. 'train+val'" },
  sequences: { type: 'string', default: '', doc: "dataset: comma-separated name prefixes to keep (CamVid sequences, e.g. '0006R0,0016E5'); empty = all" },
  city: { type: 'string', default: '', doc: 'dataset: NTHU city' },
} as const satisfies Schema;

export const SOURCE_SCHEMA = {
  seed: { type: 'int', default: 0, doc: 'seed of the data order and every augmentation' },
  iterations: { type: 'int', default: 1000, min: 0, doc: 'training iterations (optimiser steps)' },
  batch: { type: 'int', default: 8, min: 1, doc: 'images per step' },
  model: {
    type: 'object', doc: 'the network, train-mode BN: small DeepLab (BasicBlock [2,2,2,2], ResNet-18-like) or the MobileNetV2 DeepLab-v3+ style network',
    fields: {
      arch: { type: 'enum', values: ['resnet', 'mobilenetv2'], default: 'resnet', doc: "resnet: the small DeepLab-v2 (baseWidth, stemWidth); mobilenetv2: MobileNetV2 width 1.0 + ASPP + stride-4 decoder (lib/engine/models/mobilenetv2.ts; baseWidth/stemWidth unused)" },
      init: { type: 'string', default: '', doc: "encoder-initialisation file (cli/fetch-encoder.js; docs/encoders.md): the encoder's weights and BN statistics are loaded from it, the head is randomly initialised; '' = random init" },
      baseWidth: { type: 'int', default: 16, min: 1, doc: 'planes of layer1; layers 2–4 have 2×, 4×, 8× (resnet)' },
      stemWidth: { type: 'int', default: 16, min: 1, doc: 'channels of the 7×7 stem conv (resnet)' },
      outputStride: { type: 'int', default: 8, min: 8, max: 32, doc: '8 | 16 | 32' },
      aspp: { type: 'string', default: '1,3,6', doc: 'dilations of the ASPP branches, comma-separated (resnet: summed 3×3 classifier convs; mobilenetv2: separable 3×3 branches beside the 1×1 and image-pooling ones)' },
      bnMomentum: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'BN running-statistics momentum (PyTorch convention)' },
      initSeed: { type: 'int', default: 0, doc: 'seed of the parameter initialisation' },
    },
  },
  data: { type: 'object', doc: 'the labelled training data', fields: datasetFields },
  val: {
    type: 'object', doc: 'diagnostic validation split (mIoU logged during training; never used for selection)',
    fields: { enabled: { type: 'bool', default: true, doc: 'evaluate during training' }, ...datasetFields, synthSeed: { ...datasetFields.synthSeed, default: 1001 }, count: { ...datasetFields.count, default: 100 } },
  },
  augment: {
    type: 'object', doc: 'training augmentation (loader AugmentSpec)',
    fields: {
      cropWidth: { type: 'int', default: 240, min: 8, doc: 'random crop width' },
      cropHeight: { type: 'int', default: 180, min: 8, doc: 'random crop height' },
      scaleMin: { type: 'number', default: 0.75, min: 0.1, doc: 'random scale range, min' },
      scaleMax: { type: 'number', default: 1.25, min: 0.1, doc: 'random scale range, max' },
      flip: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'horizontal flip probability' },
      normalize: { type: 'enum', values: ['imagenet', 'none'], default: 'imagenet', doc: 'input normalisation (stored in the model)' },
      jitter: { type: 'number', default: 0, min: 0, max: 1, doc: 'colour jitter strength j (brightness, contrast, saturation ±j, hue ±j/10), applied with probability jitterP; 0 = off' },
      jitterP: { type: 'number', default: 0.8, min: 0, max: 1, doc: 'probability of the colour jitter' },
    },
  },
  loss: {
    type: 'object', doc: 'the training loss: pixel-wise softmax cross-entropy, void (255) ignored',
    fields: {
      classBalance: { type: 'number', default: 0, min: 0, max: 1, doc: 'class weights w_c = (median_f / f_c)^classBalance (median frequency balancing, SegNet) from the label histograms of the first balanceFrames training frames; 0 = unweighted CE' },
      balanceFrames: { type: 'int', default: 200, min: 1, doc: 'training frames whose labels give the class frequencies f_c' },
    },
  },
  optimizer: {
    type: 'object', doc: 'optimiser and poly learning-rate schedule',
    fields: {
      kind: { type: 'enum', values: ['sgd', 'adamw'], default: 'sgd', doc: 'SGD with momentum (DeepLab) or AdamW' },
      lr: { type: 'number', default: 0.01, min: 0, doc: 'base learning rate (backbone)' },
      momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'SGD momentum' },
      weightDecay: { type: 'number', default: 5e-4, min: 0, doc: 'weight decay (coupled for SGD, decoupled for AdamW)' },
      headLrMult: { type: 'number', default: 10, min: 0, doc: 'learning-rate multiplier of the classifier' },
      power: { type: 'number', default: 0.9, min: 0, doc: 'poly schedule power: lr·(1 − t/T)^power' },
      warmup: { type: 'int', default: 0, min: 0, doc: 'linear warm-up iterations (from 0.1·lr)' },
    },
  },
  runtime: {
    type: 'object', doc: 'execution',
    fields: {
      threads: { type: 'int', default: 2, min: 0, doc: 'onnxruntime intra-op threads (0 = onnxruntime decides)' },
      workers: { type: 'int', default: 1, min: 0, doc: 'data loader worker threads' },
      nonFinite: { type: 'enum', values: ['stop', 'skip'], default: 'stop', doc: 'what a non-finite step does' },
      checkpointEvery: { type: 'int', default: 200, min: 0, doc: 'checkpoint every N iterations (0 = only at the end)' },
      evalEvery: { type: 'int', default: 0, min: 0, doc: 'diagnostic evaluation every N iterations (0 = only at the end)' },
      evalBatch: { type: 'int', default: 4, min: 1, doc: 'images per evaluation batch' },
    },
  },
} as const satisfies Schema;

export type SourceConfig = Resolved<typeof SOURCE_SCHEMA>;
export type DataConfig = Resolved<typeof datasetFields>;

/** Validates a parsed config; `where` (the file name) prefixes errors. */
export function validateSourceConfig(raw: unknown, where = 'config'): SourceConfig {
  try {
    const c = validate(SOURCE_SCHEMA, raw);
    parseIntList(c.model.aspp, 'model.aspp');
    if (![8, 16, 32].includes(c.model.outputStride)) throw new ConfigError('model.outputStride', `expected 8, 16 or 32, got ${c.model.outputStride}`);
    if (c.augment.scaleMax < c.augment.scaleMin) throw new ConfigError('augment.scaleMax', `must be ≥ augment.scaleMin (${c.augment.scaleMin})`);
    return c;
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.field, `${e.message.replace(/^config field '[^']*': /, '')} (in ${where})`);
    throw e;
  }
}

export function parseIntList(s: string, field: string): number[] {
  const v = s.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (v.length === 0 || v.some((x) => !Number.isInteger(x) || x < 1)) throw new ConfigError(field, `expected comma-separated positive integers, got ${JSON.stringify(s)}`);
  return v;
}

/**
 * The record of a source config: the resolved config as run directories store it
 * (config.json, compared on --resume) and hash it (sourceConfigHash: resume checks, model
 * metadata) — without the fields added with the MobileNetV2 encoder while they hold their
 * defaults (model.arch 'resnet', model.init ''), so every config written before them keeps its
 * config.json text and hash (runs in progress resume; recorded hashes stay valid).
 */
export function sourceConfigRecord(c: SourceConfig): Record<string, unknown> {
  const { arch, init, ...model } = c.model;
  return { ...c, model: { ...model, ...(arch !== 'resnet' ? { arch } : {}), ...(init !== '' ? { init } : {}) } };
}

export const sourceConfigHash = (c: SourceConfig): string => configHash(sourceConfigRecord(c));

/** The DeepLab spec of a config (train-mode BN). */
export function modelSpecOf(c: SourceConfig, numClasses: number): DeepLabSpec {
  if (c.model.arch === 'mobilenetv2') {
    return mobileNetV2DeepLabSpec({
      outputStride: c.model.outputStride as 8 | 16 | 32, asppDilations: parseIntList(c.model.aspp, 'model.aspp'), bn: 'train',
      bnMomentum: c.model.bnMomentum, seed: c.model.initSeed, numClasses,
    });
  }
  const w = c.model.baseWidth;
  return smallDeepLabSpec({
    widths: [w, 2 * w, 4 * w, 8 * w], stemWidth: c.model.stemWidth, outputStride: c.model.outputStride as 8 | 16 | 32,
    asppDilations: parseIntList(c.model.aspp, 'model.aspp'), bn: 'train', bnMomentum: c.model.bnMomentum, seed: c.model.initSeed, numClasses,
  });
}
