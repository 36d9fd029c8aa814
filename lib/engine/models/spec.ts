/**
 * Model specifications (typed configs) and their validation. A bad config is an error that
 * names the offending field, e.g. `model spec: deeplab.widths[2] must be a positive integer`.
 */

export type BlockKind = 'basic' | 'bottleneck';
/** 'frozen': eval-mode BN, a constant per-channel affine, nothing trainable (DeepLab-v2 SFDA
 *  convention). 'train': batch statistics, γ/β trainable, running statistics updated. */
export type BnMode = 'frozen' | 'train';

/** The encoder of a DeepLab: 'resnet' (DeepLab-v2: dilated ResNet + summed-ASPP classifier)
 *  or 'mobilenetv2' (DeepLab-v3+ style: MobileNetV2 + ASPP + stride-4 decoder, mobilenetv2.ts). */
export type EncoderKind = 'resnet' | 'mobilenetv2';

/** Architecture of the 'mobilenetv2' encoder and its DeepLab-v3+ style head (mobilenetv2.ts). */
export interface MobileNetV2Options {
  /** Width multiplier α of Keras MobileNetV2 (channels make_divisible(c·α, 8)); 1.0 = the
   *  architecture the pretrained encoder file (cli/fetch-encoder.ts) holds. */
  readonly widthMult: number;
  /** Channels of every ASPP branch and of the ASPP projection. */
  readonly asppChannels: number;
  /** Channels the stride-4 low-level feature (block 2 output) is projected to. */
  readonly lowLevelChannels: number;
  /** Channels of the two decoder convolutions = the `features` the metric network reads. */
  readonly decoderChannels: number;
  /** ASPP image-pooling branch (global average pool → 1×1 conv with bias → ReLU → broadcast). */
  readonly imagePooling: boolean;
}

export interface DeepLabSpec {
  /**
   * Absent (or 'resnet' on input): the DeepLab-v2 ResNet network — validated specs of it never
   * carry this field, so ResNet specs (and model files) are what they were before it existed.
   * 'mobilenetv2': MobileNetV2 encoder + DeepLab-v3+ style head (mobilenetv2.ts); the
   * ResNet-only fields (block, layers, widths, stemWidth, strideOn, maxpoolCeil) are then
   * ignored, and asppDilations are the dilations of the ASPP's separable 3×3 branches.
   */
  readonly encoder?: EncoderKind;
  /** With encoder 'mobilenetv2' only (then always present after validation). */
  readonly mobilenetv2?: MobileNetV2Options;
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

export const MOBILENETV2_DEFAULTS: MobileNetV2Options = { widthMult: 1, asppChannels: 128, lowLevelChannels: 48, decoderChannels: 128, imagePooling: true };

/**
 * DeepLab-v3+ style network on a MobileNetV2 encoder (mobilenetv2.ts) for 240×180-class
 * inputs: output stride 16 (the last stage dilated 2), ASPP = 1×1 + separable 3×3 dilated
 * 2, 4, 6 + image pooling, decoder at stride 4; BN ε = 1e-3 (Keras MobileNetV2's, so the
 * pretrained running statistics normalise as in Keras). `mobilenetv2` fields merge with
 * MOBILENETV2_DEFAULTS.
 */
export function mobileNetV2DeepLabSpec(over: Omit<Partial<DeepLabSpec>, 'mobilenetv2'> & { mobilenetv2?: Partial<MobileNetV2Options> } = {}): DeepLabSpec {
  const { mobilenetv2, ...rest } = over;
  return validateDeepLabSpec({
    ...DEEPLAB_DEFAULTS, numClasses: 11, outputStride: 16, asppDilations: [2, 4, 6], bnEps: 1e-3, ...rest,
    encoder: 'mobilenetv2', mobilenetv2: { ...MOBILENETV2_DEFAULTS, ...(mobilenetv2 ?? {}) },
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

function validateMobileNetV2(raw: unknown, where: string): MobileNetV2Options {
  if (raw === undefined) return { ...MOBILENETV2_DEFAULTS };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelSpecError(where, `must be an object (got ${JSON.stringify(raw)})`);
  checkKeys(raw as Record<string, unknown>, MOBILENETV2_DEFAULTS, where);
  const o = { ...MOBILENETV2_DEFAULTS, ...(raw as Record<string, unknown>) } as Record<string, unknown>;
  return {
    widthMult: posNum(o, 'widthMult', where, 4),
    asppChannels: posInt(o, 'asppChannels', where),
    lowLevelChannels: posInt(o, 'lowLevelChannels', where),
    decoderChannels: posInt(o, 'decoderChannels', where),
    imagePooling: oneOf(o, 'imagePooling', where, [true, false] as const),
  };
}

/** Validates a DeepLab spec (unknown input, e.g. parsed JSON); missing fields take DeepLab-v2 defaults. */
export function validateDeepLabSpec(raw: unknown, where = 'deeplab'): DeepLabSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelSpecError(where, 'must be an object');
  checkKeys(raw as Record<string, unknown>, { ...DEEPLAB_DEFAULTS, encoder: 'resnet', mobilenetv2: MOBILENETV2_DEFAULTS }, where);
  const r = raw as Record<string, unknown>;
  const encoder = r['encoder'] === undefined ? 'resnet' : oneOf(r, 'encoder', where, ['resnet', 'mobilenetv2'] as const);
  if (encoder === 'resnet' && r['mobilenetv2'] !== undefined) throw new ModelSpecError(`${where}.mobilenetv2`, `is only valid with encoder 'mobilenetv2' (encoder is 'resnet')`);
  const o = { ...DEEPLAB_DEFAULTS, ...r } as Record<string, unknown>;
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
  // ResNet specs never carry the encoder fields (their JSON is unchanged by their existence)
  if (encoder === 'mobilenetv2') return { ...spec, encoder, mobilenetv2: validateMobileNetV2(r['mobilenetv2'], `${where}.mobilenetv2`) };
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
