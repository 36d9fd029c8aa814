/**
 * Model specifications (typed configs) and their validation. A bad config is an error that
 * names the offending field, e.g. `model spec: deeplab.widths[2] must be a positive integer`.
 */

export type BlockKind = 'basic' | 'bottleneck';
/** 'frozen': eval-mode BN, a constant per-channel affine, nothing trainable (DeepLab-v2 SFDA
 *  convention). 'train': batch statistics, γ/β trainable, running statistics updated. */
export type BnMode = 'frozen' | 'train';

export interface DeepLabSpec {
  readonly block: BlockKind;
  /** Number of blocks in layer1..layer4. */
  readonly layers: readonly [number, number, number, number];
  /** Planes of layer1..layer4 (a bottleneck stage outputs 4× planes). */
  readonly widths: readonly [number, number, number, number];
  /** Channels of the stem conv (conv1, 7×7 stride 2). */
  readonly stemWidth: number;
  readonly inChannels: number;
  readonly numClasses: number;
  /** 8: layer3/4 dilated 2/4 with stride 1; 16: layer4 dilated 2; 32: no dilation. */
  readonly outputStride: 8 | 16 | 32;
  /** Dilations of the DeepLab-v2 ASPP classifier branches (3×3 convs to numClasses, summed). */
  readonly asppDilations: readonly number[];
  readonly bn: BnMode;
  readonly bnEps: number;
  /** PyTorch convention: running = (1−m)·running + m·batch. */
  readonly bnMomentum: number;
  /** Bottleneck only: which conv carries the stride. 'conv1' = Caffe/DeepLab-v2 checkpoints,
   *  'conv2' = torchvision v1.5. */
  readonly strideOn: 'conv1' | 'conv2';
  /** Stem max-pool ceil_mode (DeepLab-v2: true; torchvision: false). */
  readonly maxpoolCeil: boolean;
  /** Prefix of the classifier parameters: `${headName}.conv2d_list.{i}.weight|bias`. */
  readonly headName: string;
  /** Also output logits bilinearly upsampled (align_corners=True) to the input size. */
  readonly upsampleLogits: boolean;
  /** Seed of the parameter initialisation. */
  readonly seed: number;
}

export interface MetricHeadSpec {
  readonly inChannels: number;
  readonly hidden: number;
  readonly embedDim: number;
  readonly bn: BnMode;
  readonly bnEps: number;
  readonly bnMomentum: number;
  /** Parameter name prefix, e.g. 'metric' → metric.conv1.weight. */
  readonly prefix: string;
  /** ε in e = y / sqrt(Σ_c y_c² + ε). */
  readonly normEps: number;
  readonly seed: number;
}

export class ModelSpecError extends Error {
  constructor(field: string, msg: string) {
    super(`model spec: ${field} ${msg}`);
    this.name = 'ModelSpecError';
  }
}

const DEEPLAB_DEFAULTS: DeepLabSpec = {
  block: 'bottleneck', layers: [3, 4, 23, 3], widths: [64, 128, 256, 512], stemWidth: 64, inChannels: 3,
  numClasses: 19, outputStride: 8, asppDilations: [6, 12, 18, 24], bn: 'frozen', bnEps: 1e-5, bnMomentum: 0.1,
  strideOn: 'conv1', maxpoolCeil: true, headName: 'classifier', upsampleLogits: false, seed: 0,
};

/** DeepLab-v2 with a ResNet-101 (depth 101) or ResNet-50 (depth 50) backbone, frozen BN. */
export function deeplabV2Spec(over: Partial<DeepLabSpec> & { depth?: 50 | 101 } = {}): DeepLabSpec {
  const { depth, ...rest } = over;
  const layers: DeepLabSpec['layers'] = depth === 50 ? [3, 4, 6, 3] : [3, 4, 23, 3];
  return validateDeepLabSpec({ ...DEEPLAB_DEFAULTS, layers, ...rest });
}

/** A ResNet-18-like DeepLab (BasicBlock [2,2,2,2]) for CPU work; widths configurable. */
export function smallDeepLabSpec(over: Partial<DeepLabSpec> = {}): DeepLabSpec {
  return validateDeepLabSpec({
    ...DEEPLAB_DEFAULTS, block: 'basic', layers: [2, 2, 2, 2], widths: [64, 128, 256, 512], numClasses: 11,
    strideOn: 'conv2', maxpoolCeil: false, ...over,
  });
}

export function metricHeadSpec(over: Partial<MetricHeadSpec> & { inChannels: number }): MetricHeadSpec {
  return validateMetricHeadSpec({ hidden: 512, embedDim: 256, bn: 'train', bnEps: 1e-5, bnMomentum: 0.1, prefix: 'metric', normEps: 1e-12, seed: 1, ...over });
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function posInt(obj: Record<string, unknown>, key: string, where: string): number {
  const v = obj[key];
  if (!isPosInt(v)) throw new ModelSpecError(`${where}.${key}`, `must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function intTuple4(obj: Record<string, unknown>, key: string, where: string, min: number): [number, number, number, number] {
  const v = obj[key];
  if (!Array.isArray(v) || v.length !== 4) throw new ModelSpecError(`${where}.${key}`, `must be an array of 4 integers (got ${JSON.stringify(v)})`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new ModelSpecError(`${where}.${key}[${i}]`, `must be an integer ≥ ${min} (got ${JSON.stringify(x)})`);
  });
  return [v[0], v[1], v[2], v[3]];
}

function oneOf<T extends string | number | boolean>(obj: Record<string, unknown>, key: string, where: string, allowed: readonly T[]): T {
  const v = obj[key];
  if (!allowed.includes(v as T)) throw new ModelSpecError(`${where}.${key}`, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} (got ${JSON.stringify(v)})`);
  return v as T;
}

function posNum(obj: Record<string, unknown>, key: string, where: string, max = Infinity): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) throw new ModelSpecError(`${where}.${key}`, `must be a number in (0, ${max}] (got ${JSON.stringify(v)})`);
  return v;
}

function seedOf(obj: Record<string, unknown>, where: string): number {
  const v = obj['seed'];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ModelSpecError(`${where}.seed`, `must be an integer (got ${JSON.stringify(v)})`);
  return v;
}

function nameOf(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(v)) throw new ModelSpecError(`${where}.${key}`, `must be a non-empty identifier like 'classifier' (got ${JSON.stringify(v)})`);
  return v;
}

function checkKeys(obj: Record<string, unknown>, known: object, where: string): void {
  for (const k of Object.keys(obj)) if (!(k in known)) throw new ModelSpecError(`${where}.${k}`, `is not a known field (known: ${Object.keys(known).join(', ')})`);
}

/** Validates a DeepLab spec (unknown input, e.g. parsed JSON); missing fields take DeepLab-v2 defaults. */
export function validateDeepLabSpec(raw: unknown, where = 'deeplab'): DeepLabSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelSpecError(where, 'must be an object');
  checkKeys(raw as Record<string, unknown>, DEEPLAB_DEFAULTS, where);
  const o = { ...DEEPLAB_DEFAULTS, ...(raw as Record<string, unknown>) } as Record<string, unknown>;
  const spec: DeepLabSpec = {
    block: oneOf(o, 'block', where, ['basic', 'bottleneck'] as const),
    layers: intTuple4(o, 'layers', where, 1),
    widths: intTuple4(o, 'widths', where, 1),
    stemWidth: posInt(o, 'stemWidth', where),
    inChannels: posInt(o, 'inChannels', where),
    numClasses: posInt(o, 'numClasses', where),
    outputStride: oneOf(o, 'outputStride', where, [8, 16, 32] as const),
    asppDilations: (() => {
      const v = o['asppDilations'];
      if (!Array.isArray(v) || v.length === 0) throw new ModelSpecError(`${where}.asppDilations`, `must be a non-empty array of positive integers (got ${JSON.stringify(v)})`);
      v.forEach((d, i) => { if (!isPosInt(d)) throw new ModelSpecError(`${where}.asppDilations[${i}]`, `must be a positive integer (got ${JSON.stringify(d)})`); });
      return [...(v as number[])];
    })(),
    bn: oneOf(o, 'bn', where, ['frozen', 'train'] as const),
    bnEps: posNum(o, 'bnEps', where, 1),
    bnMomentum: posNum(o, 'bnMomentum', where, 1),
    strideOn: oneOf(o, 'strideOn', where, ['conv1', 'conv2'] as const),
    maxpoolCeil: oneOf(o, 'maxpoolCeil', where, [true, false] as const),
    headName: nameOf(o, 'headName', where),
    upsampleLogits: oneOf(o, 'upsampleLogits', where, [true, false] as const),
    seed: seedOf(o, where),
  };
  return spec;
}

export function validateMetricHeadSpec(raw: unknown, where = 'metric'): MetricHeadSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelSpecError(where, 'must be an object');
  const known: MetricHeadSpec = { inChannels: 1, hidden: 1, embedDim: 1, bn: 'train', bnEps: 1, bnMomentum: 1, prefix: 'm', normEps: 1, seed: 0 };
  const o = raw as Record<string, unknown>;
  checkKeys(o, known, where);
  return {
    inChannels: posInt(o, 'inChannels', where),
    hidden: posInt(o, 'hidden', where),
    embedDim: posInt(o, 'embedDim', where),
    bn: oneOf(o, 'bn', where, ['frozen', 'train'] as const),
    bnEps: posNum(o, 'bnEps', where, 1),
    bnMomentum: posNum(o, 'bnMomentum', where, 1),
    prefix: nameOf(o, 'prefix', where),
    normEps: posNum(o, 'normEps', where, 1),
    seed: seedOf(o, where),
  };
}
