/**
 * The adaptation run config (configs/adapt/*.json): the run-level settings of a self-training
 * run (iterations, batch, crop, seed, the source model file, the target images, the diagnostic
 * evaluation split, runtime) around the STvM method config (stvm-config.ts), validated with
 * lib/config/schema.ts: unknown fields and ill-typed values are errors naming the field's path
 * and the file. Lists are comma-separated strings (the schema is scalar), as in the
 * source-training config. Data sections have the same fields as source training's
 * (source: synthstreet | dataset; kind/root/split/sequences/city; style/synthSeed/count/size).
 *
 * `weighting.params` (the parameters of a registered weighting, e.g. a threshold) is free-form
 * here and validated by that weighting's own schema (lib/method/weighting/registry.ts).
 */
import { ConfigError, validate, type Resolved, type Schema } from '../config/schema.js';
import { resolveSpec, type DatasetSpec } from '../data/datasets/spec.js';
import { STVM_SCHEMA } from '../method/stvm/config.js';
import { loopSettings } from '../method/stvm/loop-settings.js';

const dataFields = (d: { source: 'synthstreet' | 'dataset'; style: string; synthSeed: number; count: number; split: string; sequences: string }) => ({
  source: { type: 'enum', values: ['synthstreet', 'dataset'], default: d.source, doc: 'synthstreet: frames rendered on the fly; dataset: a dataset on disk' },
  style: { type: 'string', default: d.style, doc: 'SynthStreet style preset (source | overcast-photo | dusk | foggy-lowres | sunny-photo)' },
  synthSeed: { type: 'int', default: d.synthSeed, doc: 'SynthStreet dataset seed (train 1, validation 1001 by convention)' },
  count: { type: 'int', default: d.count, min: 1, doc: 'SynthStreet: number of frames of the virtual dataset' },
  width: { type: 'int', default: 240, min: 16, doc: 'SynthStreet frame width' },
  height: { type: 'int', default: 180, min: 16, doc: 'SynthStreet frame height' },
  kind: { type: 'string', default: 'camvid', doc: 'dataset: layout kind (camvid | cityscapes | gta5 | synthia | nthu)' },
  root: { type: 'string', default: '../shared/data/camvid', doc: 'dataset: root folder (relative to the working directory)' },
  split: { type: 'string', default: d.split, doc: "dataset: split(s), e.g. 'train+val'" },
  sequences: { type: 'string', default: d.sequences, doc: "dataset: comma-separated name prefixes to keep (CamVid sequences, e.g. '0001TP'); empty = all" },
  city: { type: 'string', default: '', doc: 'dataset: NTHU city (Rome | Rio | Tokyo | Taipei)' },
  protocol: { type: 'string', default: '', doc: "dataset: class protocol of the labels (cityscapes19 | cityscapes16 | cityscapes13 | camvid11); empty = the source model's" },
} as const);

const TARGET_FIELDS = dataFields({ source: 'synthstreet', style: 'overcast-photo', synthSeed: 1, count: 500, split: 'train', sequences: '' });
const EVAL_FIELDS = dataFields({ source: 'synthstreet', style: 'overcast-photo', synthSeed: 1001, count: 100, split: 'val', sequences: '' });

export const ADAPT_SCHEMA = {
  description: { type: 'string', default: '', doc: 'what this run is (free text, kept in the run directory)' },
  name: { type: 'string', default: 'stvm', doc: 'algorithm name recorded in checkpoints (a resume must use the same)' },
  seed: { type: 'int', default: 0, doc: 'seed of the target order, augmentations, metric subsampling, mixing' },
  iterations: { type: 'int', default: 1000, min: 1, doc: 'iterations T of the run, metric warm-up included', symbol: 'T' },
  batch: { type: 'int', default: 2, min: 1, doc: 'target images per iteration (row 15; MOCM pairs image i with i+1)', symbol: 'B' },
  source: { type: 'string', default: '', doc: 'the source model file (*.model.ckpt from train-source); --source overrides' },
  target: { type: 'object', doc: 'the unlabelled target images (labels are never opened)', fields: TARGET_FIELDS },
  augment: {
    type: 'object', doc: 'weak (geometric) augmentation of the target images, before the teacher',
    fields: {
      resizeWidth: { type: 'int', default: 0, min: 0, doc: 'resize every image to this width first (0: keep; set both or neither)' },
      resizeHeight: { type: 'int', default: 0, min: 0, doc: 'resize every image to this height first (0: keep)' },
      scaleMin: { type: 'number', default: 1, min: 0.1, doc: 'random scale range, min (1 and 1: off)' },
      scaleMax: { type: 'number', default: 1, min: 0.1, doc: 'random scale range, max' },
      cropWidth: { type: 'int', default: 1024, min: 8, doc: 'random crop width (row 15)' },
      cropHeight: { type: 'int', default: 512, min: 8, doc: 'random crop height (row 15)' },
      flip: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'horizontal flip probability' },
    },
  },
  eval: {
    type: 'object', doc: 'diagnostic evaluation of the teacher on a labelled split (never used for selection; the reported model is the last)',
    fields: {
      enabled: { type: 'bool', default: true, doc: 'evaluate (periodically and at the end)' },
      every: { type: 'int', default: 0, min: 0, doc: 'evaluate every N iterations (0: only at the end)' },
      ...EVAL_FIELDS,
      resizeWidth: { type: 'int', default: 0, min: 0, doc: 'predict at this width (0: the image size), prediction resized back to the label' },
      resizeHeight: { type: 'int', default: 0, min: 0, doc: 'predict at this height (0: the image size)' },
      limit: { type: 'int', default: 0, min: 0, doc: 'evaluate only the first N images (0: all)' },
      batch: { type: 'int', default: 4, min: 1, doc: 'images per evaluation batch' },
      student: { type: 'bool', default: true, doc: 'also evaluate the student at the end (reported next to the teacher)' },
    },
  },
  stvm: { type: 'object', doc: 'the method (lib/method/stvm-config.ts)', fields: STVM_SCHEMA },
  weighting: {
    type: 'object', doc: 'a registered weighting instead of stvm.weighting (baselines); its parameters go in weighting.params',
    fields: { name: { type: 'string', default: '', doc: 'registered weighting name (empty: stvm.weighting)' } },
  },
  runtime: {
    type: 'object', doc: 'execution',
    fields: {
      provider: { type: 'enum', values: ['cpu', 'webgpu', 'cuda'], default: 'cpu', doc: 'onnxruntime execution provider' },
      fallback: { type: 'enum', values: ['error', 'cpu'], default: 'error', doc: 'when the provider cannot start: error, or an explicit logged fallback to cpu' },
      threads: { type: 'int', default: 2, min: 0, doc: 'onnxruntime intra-op threads per runner (0 = onnxruntime decides)' },
      nonFinite: { type: 'enum', values: ['stop', 'skip'], default: 'stop', doc: 'what a non-finite step does' },
      checkpointEvery: { type: 'int', default: 0, min: 0, doc: 'checkpoint every N iterations (0: only at the end)' },
      keepCheckpoints: { type: 'int', default: 2, min: 1, doc: 'checkpoint files kept' },
      logEvery: { type: 'int', default: 0, min: 0, doc: 'log a human-readable line every N iterations (0: never)' },
    },
  },
} as const satisfies Schema;

export type AdaptConfig = Resolved<typeof ADAPT_SCHEMA> & { readonly weightingParams: unknown };
export type AdaptDataConfig = Resolved<typeof TARGET_FIELDS>;

/** Validates a parsed adaptation config; `where` (the file) is added to every error. */
export function validateAdaptConfig(raw: unknown, where = 'config'): AdaptConfig {
  try {
    let params: unknown = {};
    let input = raw;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const w = (raw as Record<string, unknown>)['weighting'];
      if (w !== null && typeof w === 'object' && !Array.isArray(w) && 'params' in w) {
        const { params: p, ...rest } = w as Record<string, unknown>;
        params = p;
        input = { ...raw, weighting: rest };
      }
    }
    const c = validate(ADAPT_SCHEMA, input);
    if (c.augment.scaleMax < c.augment.scaleMin) throw new ConfigError('augment.scaleMax', `must be ≥ augment.scaleMin (${c.augment.scaleMin})`);
    if ((c.augment.resizeWidth === 0) !== (c.augment.resizeHeight === 0)) throw new ConfigError('augment.resizeWidth', 'set augment.resizeWidth and augment.resizeHeight together (or neither)');
    if ((c.eval.resizeWidth === 0) !== (c.eval.resizeHeight === 0)) throw new ConfigError('eval.resizeWidth', 'set eval.resizeWidth and eval.resizeHeight together (or neither)');
    if (c.target.source === 'dataset') checkSpec(datasetSpecOf(c.target, ''), false, 'target');
    if (c.eval.enabled && c.eval.source === 'dataset') checkSpec(datasetSpecOf(c.eval, ''), true, 'eval');
    const kw = c.stvm.metric.enabled ? c.stvm.metric.warmupIters : 0;
    if (c.iterations <= kw) throw new ConfigError('iterations', `${c.iterations} iterations leave no student step after the metric warm-up of stvm.metric.warmupIters = ${kw}`);
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) throw new ConfigError('weighting.params', `expected an object, got ${JSON.stringify(params)}`);
    // the loop's switches must agree (e.g. reliability weights need the metric network), and a
    // registered weighting's parameters must pass its own schema
    loopSettings(c.stvm, { name: c.weighting.name, params: params ?? {} });
    return { ...c, weightingParams: params ?? {} };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.field, `${e.message.replace(/^config field '[^']*': /, '')} (in ${where})`);
    throw e;
  }
}

/**
 * The dataset spec of a data section ('dataset' source). `modelProtocol` fills an empty
 * protocol (the source model's classes); sequences become name prefixes.
 */
export function datasetSpecOf(d: AdaptDataConfig, modelProtocol: string): DatasetSpec {
  const prefixes = d.sequences.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const protocol = d.protocol || modelProtocol;
  return {
    kind: d.kind, root: d.root, split: d.split,
    ...(protocol ? { protocol } : {}), ...(prefixes.length ? { namePrefixes: prefixes } : {}), ...(d.city ? { city: d.city } : {}),
  };
}

/** Checks kind/split/protocol/city without touching the disk; errors name the section. */
function checkSpec(spec: DatasetSpec, labelled: boolean, section: string): void {
  try {
    resolveSpec(spec, labelled);
  } catch (e) {
    throw new ConfigError(section, (e as Error).message);
  }
}
