/**
 * MobileNetV2 encoder (Sandler et al., CVPR 2018; the Keras applications layout, width
 * multiplier α) and a DeepLab-v3+ style head (Chen et al., ECCV 2018): ASPP on the encoder
 * output and a decoder that fuses a stride-4 low-level feature. Built when a DeepLabSpec has
 * encoder 'mobilenetv2' (deeplab.ts dispatches here); same SegModel contract as the ResNet
 * DeepLab-v2.
 *
 * Encoder (group 'backbone'; names `encoder.*`, Keras names in brackets, converter in
 * lib/model/keras-mobilenetv2.ts):
 *   conv1 3×3/2 → bn1 → ReLU6                                       [Conv1, bn_Conv1]
 *   blocks.0 … blocks.16, inverted residuals (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2)
 *   (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1):                  [expanded_conv, block_1 … block_16]
 *     expand 1×1 (C → t·C; absent when t = 1) → expand_bn → ReLU6   [_expand, _expand_BN]
 *     depthwise 3×3 (Conv group = channels), stride s → depthwise_bn → ReLU6   [_depthwise, _depthwise_BN]
 *     project 1×1 → project_bn (linear)                             [_project, _project_BN]
 *     + input when stride 1 and C_in = C_out.
 *   Channels make_divisible(c·α, 8) as Keras. Keras' final Conv_1 (1280) is not part of the
 *   encoder (DeepLab-v3+ MobileNetV2 reads the 320-channel block 16 output).
 *   Output stride 16 / 8 (spec.outputStride): the stride-2 block at which the stride would
 *   pass it runs at stride 1 with the current dilation, and every later depthwise conv's
 *   dilation doubles (TF DeepLab convention): OS16 → blocks 13 (stride 1) and 14–16
 *   dilated 2; OS8 → block 6 at stride 1, 7–12 dilated 2, 13 at stride 1 dilated 2, 14–16
 *   dilated 4. OS32 = the classifier network. Padding: PyTorch-style symmetric (pad =
 *   dilation) — Keras pads (0,1) before a stride-2 conv of an even-sized input; the
 *   `tfPadding` option (verification of the converted weights only) reproduces that.
 *
 * Head (group 'head'): on the encoder output f [N, 320α, h, w] (h = ⌈H/16⌉ at OS16):
 *   ASPP: aspp.conv0 1×1 → aspp.bn0 → ReLU; per d in spec.asppDilations a separable branch
 *     aspp.sep{k} (depthwise 3×3 dilation d → BN → ReLU → pointwise 1×1 → BN → ReLU); with
 *     imagePooling, aspp.pool = GlobalAveragePool → 1×1 conv with bias → ReLU → broadcast
 *     (no BN: it would normalise N values per channel); Concat → aspp.project 1×1 → BN → ReLU.
 *   Decoder: decoder.low 1×1 on block 2's output (stride 4, 24α channels) → BN → ReLU;
 *     the ASPP output bilinearly resized (align_corners) to that size; Concat →
 *     decoder.sep1, decoder.sep2 (separable 3×3, → decoderChannels) = `features`;
 *     classifier `${headName}` 1×1 with bias (init normal(0, 0.01), bias 0) = `logits`
 *     at stride 4, `logitsFull` upsampled to the input (align_corners, as the ResNet DeepLab).
 * `features` is the classifier's input, at the logits' resolution (what the STvM metric
 * network pairs with argmax(logits); the same convention as an imported model's features).
 *
 * Init: convs Kaiming-normal fan_out (std √(2/(C_out·k²))), depthwise convs std √(2/k²)
 * (fan of one channel's filter), BN γ=1, β=0, μ=0, σ²=1 (layers.ts), all seeded by name.
 */
import { batchNorm, normalArray, type BnOpts, type ModelContext } from './layers.js';
import { summarise } from './params.js';
import type { DeepLabSpec, MobileNetV2Options } from './spec.js';
import type { SegModel } from './deeplab.js';

/** Inverted-residual settings of Keras MobileNetV2: expansion t, channels c, repeats n, stride s. */
export const MOBILENETV2_STAGES: readonly { t: number; c: number; n: number; s: number }[] = [
  { t: 1, c: 16, n: 1, s: 1 }, { t: 6, c: 24, n: 2, s: 2 }, { t: 6, c: 32, n: 3, s: 2 }, { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 }, { t: 6, c: 160, n: 3, s: 2 }, { t: 6, c: 320, n: 1, s: 1 },
];

/** Index of the block whose output is the decoder's low-level feature (stride 4). */
export const LOW_LEVEL_BLOCK = 2;

/** Keras `_make_divisible(v, 8)`: the nearest multiple of 8, at least 8, never below 0.9·v. */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

export interface MobileNetV2Block {
  /** 0 … 16 (Keras: 0 = expanded_conv, i = block_i). */
  index: number;
  inChannels: number;
  /** Channels after the expansion (= inChannels when t = 1, no expand conv). */
  expanded: number;
  outChannels: number;
  expansion: number;
  /** Stride and dilation of the depthwise conv after the output-stride plan. */
  stride: number;
  dilation: number;
  residual: boolean;
}

/** Channel and stride plan of the encoder: stem channels and the 17 blocks. */
export function mobileNetV2Plan(widthMult: number, outputStride: 8 | 16 | 32): { stem: number; blocks: MobileNetV2Block[] } {
  const stem = makeDivisible(32 * widthMult);
  const blocks: MobileNetV2Block[] = [];
  let cin = stem;
  let current = 2; // after the stem
  let rate = 1;
  for (const st of MOBILENETV2_STAGES) {
    const cout = makeDivisible(Math.trunc(st.c * widthMult));
    for (let i = 0; i < st.n; i++) {
      let stride = i === 0 ? st.s : 1;
      let dilation = rate;
      if (stride > 1 && current >= outputStride) {
        dilation = rate;
        rate *= stride;
        stride = 1;
      } else {
        current *= stride;
      }
      const expanded = st.t === 1 ? cin : cin * st.t;
      blocks.push({ index: blocks.length, inChannels: cin, expanded, outChannels: cout, expansion: st.t, stride, dilation, residual: stride === 1 && cin === cout });
      cin = cout;
    }
  }
  return { stem, blocks };
}

export interface ConvArgs {
  stride?: number;
  dilation?: number;
  /** Conv group (depthwise: = channels). Default 1. */
  groups?: number;
  bias?: boolean;
  initStd?: number;
  /** Explicit ONNX pads [top, left, bottom, right] (default symmetric dilation·(k−1)/2). */
  pads?: readonly [number, number, number, number];
}

/** TF 'same' padding of a k×k conv (begin = ⌊total/2⌋, end = total − begin) on x's spatial size. */
export function tfSamePads(h: number, w: number, k: number, stride: number, dilation: number): [number, number, number, number] {
  const total = (n: number) => Math.max((Math.ceil(n / stride) - 1) * stride + (k - 1) * dilation + 1 - n, 0);
  const th = total(h), tw = total(w);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

/** Conv2d with groups: weight [cout, cin/groups, k, k] (+ bias [cout]). */
export function groupConv(m: ModelContext, name: string, x: string, cin: number, cout: number, k: number, o: ConvArgs = {}): string {
  const groups = o.groups ?? 1;
  if (cin % groups !== 0 || cout % groups !== 0) throw new Error(`${name}: channels ${cin}→${cout} are not divisible by groups ${groups}`);
  const std = o.initStd ?? (groups === 1 ? Math.sqrt(2 / (cout * k * k)) : Math.sqrt(2 / (k * k)));
  const n = cout * (cin / groups) * k * k;
  const inputs = [x, m.param(`${name}.weight`, [cout, cin / groups, k, k], 'conv_weight', true, normalArray(m.rngFor(`${name}.weight`), n, std))];
  if (o.bias) inputs.push(m.param(`${name}.bias`, [cout], 'conv_bias', true, new Float32Array(cout)));
  const s = o.stride ?? 1;
  const d = o.dilation ?? 1;
  const p = (d * (k - 1)) / 2;
  return m.g.op1('Conv', inputs, {
    kernel_shape: [k, k], strides: [s, s], pads: [...(o.pads ?? [p, p, p, p])], dilations: [d, d], group: groups,
  }, { name });
}

/** The bounds of ReLU6 as two scalar constants, shared by every Clip of a graph. */
const clipBounds = new WeakMap<object, [string, string]>();

function relu6(m: ModelContext, x: string): string {
  let b = clipBounds.get(m.g);
  if (!b) {
    b = [m.g.constF32(0), m.g.constF32(6)];
    clipBounds.set(m.g, b);
  }
  return m.g.op1('Clip', [x, b[0], b[1]]);
}

const relu = (m: ModelContext, x: string): string => m.g.op1('Relu', [x]);

export interface MobileNetV2EncoderOptions {
  readonly widthMult: number;
  readonly outputStride: 8 | 16 | 32;
  readonly inChannels: number;
  readonly bn: BnOpts;
  /** Keras/TF 'same' padding (asymmetric at stride 2) instead of symmetric: for checking the
   *  converted weights against the Keras network only. */
  readonly tfPadding?: boolean;
  /** Parameter name prefix (default 'encoder'). */
  readonly prefix?: string;
}

export interface MobileNetV2EncoderOut {
  /** Block 16 output [N, 320α, ⌈H/OS⌉, ⌈W/OS⌉]. */
  readonly features: string;
  readonly channels: number;
  /** Block 2 output (stride 4). */
  readonly lowLevel: string;
  readonly lowLevelChannels: number;
}

/** The MobileNetV2 encoder on x (see the file comment). */
export function mobileNetV2Encoder(m: ModelContext, x: string, o: MobileNetV2EncoderOptions): MobileNetV2EncoderOut {
  const pre = o.prefix ?? 'encoder';
  const plan = mobileNetV2Plan(o.widthMult, o.outputStride);
  const pads = (t: string, k: number, s: number, d: number) => {
    if (!o.tfPadding) return undefined;
    const [, , h, w] = m.g.shape(t) as [number, number, number, number];
    return tfSamePads(h, w, k, s, d);
  };
  const conv = (name: string, t: string, cin: number, cout: number, k: number, a: ConvArgs = {}) => {
    const p = pads(t, k, a.stride ?? 1, a.dilation ?? 1);
    return groupConv(m, name, t, cin, cout, k, { ...a, ...(p ? { pads: p } : {}) });
  };
  let y = relu6(m, batchNorm(m, `${pre}.bn1`, conv(`${pre}.conv1`, x, o.inChannels, plan.stem, 3, { stride: 2 }), plan.stem, o.bn));
  let low: string | undefined;
  let lowC = 0;
  for (const b of plan.blocks) {
    const n = `${pre}.blocks.${b.index}`;
    let z = y;
    if (b.expansion !== 1) z = relu6(m, batchNorm(m, `${n}.expand_bn`, conv(`${n}.expand`, z, b.inChannels, b.expanded, 1), b.expanded, o.bn));
    z = relu6(m, batchNorm(m, `${n}.depthwise_bn`, conv(`${n}.depthwise`, z, b.expanded, b.expanded, 3, { stride: b.stride, dilation: b.dilation, groups: b.expanded }), b.expanded, o.bn));
    z = batchNorm(m, `${n}.project_bn`, conv(`${n}.project`, z, b.expanded, b.outChannels, 1), b.outChannels, o.bn);
    y = b.residual ? m.g.op1('Add', [y, z]) : z;
    if (b.index === LOW_LEVEL_BLOCK) {
      low = y;
      lowC = b.outChannels;
    }
  }
  const last = plan.blocks[plan.blocks.length - 1]!;
  return { features: y, channels: last.outChannels, lowLevel: low!, lowLevelChannels: lowC };
}

/** Depthwise 3×3 (dilation d) → BN → ReLU → pointwise 1×1 → BN → ReLU, names `${name}.depthwise|depthwise_bn|pointwise|pointwise_bn`. */
function separable(m: ModelContext, name: string, x: string, cin: number, cout: number, d: number, bn: BnOpts): string {
  const y = relu(m, batchNorm(m, `${name}.depthwise_bn`, groupConv(m, `${name}.depthwise`, x, cin, cin, 3, { dilation: d, groups: cin }), cin, bn));
  return relu(m, batchNorm(m, `${name}.pointwise_bn`, groupConv(m, `${name}.pointwise`, y, cin, cout, 1), cout, bn));
}

/** Bilinear resize (align_corners) of x [N, C, h, w] to [N, C, H, W]. */
function resizeTo(m: ModelContext, x: string, h: number, w: number, name: string): string {
  const [n, c] = m.g.shape(x) as [number, number];
  return m.g.op1('Resize', [x, '', '', m.g.constI64([n, c, h, w])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, { name });
}

/** The whole network on `input` (deeplab.ts buildDeepLab, with its configured ModelContext). */
export function buildMobileNetV2DeepLab(m: ModelContext, input: string, spec: DeepLabSpec): SegModel {
  const o: MobileNetV2Options | undefined = spec.mobilenetv2;
  if (spec.encoder !== 'mobilenetv2' || !o) throw new Error("buildMobileNetV2DeepLab: the spec's encoder must be 'mobilenetv2'");
  if (m.foldFrozenBn) throw new Error('buildMobileNetV2DeepLab: foldFrozenBn is not supported for the mobilenetv2 encoder');
  const g = m.g;
  const bn: BnOpts = { mode: spec.bn, eps: spec.bnEps, momentum: spec.bnMomentum };
  m.group = 'backbone';
  const enc = mobileNetV2Encoder(m, input, { widthMult: o.widthMult, outputStride: spec.outputStride, inChannels: spec.inChannels, bn });

  m.group = 'head';
  const a = o.asppChannels;
  const f = enc.features;
  const [n, , fh, fw] = g.shape(f) as [number, number, number, number];
  const branches = [relu(m, batchNorm(m, 'aspp.bn0', groupConv(m, 'aspp.conv0', f, enc.channels, a, 1), a, bn))];
  spec.asppDilations.forEach((d, k) => branches.push(separable(m, `aspp.sep${k + 1}`, f, enc.channels, a, d, bn)));
  if (o.imagePooling) {
    const pooled = relu(m, groupConv(m, 'aspp.pool', g.op1('GlobalAveragePool', [f]), enc.channels, a, 1, { bias: true }));
    branches.push(g.op1('Expand', [pooled, g.constI64([n, a, fh, fw])]));
  }
  const cat = g.op1('Concat', branches, { axis: 1 });
  const aspp = relu(m, batchNorm(m, 'aspp.project_bn', groupConv(m, 'aspp.project', cat, a * branches.length, a, 1), a, bn));

  const l = o.lowLevelChannels;
  const low = relu(m, batchNorm(m, 'decoder.low_bn', groupConv(m, 'decoder.low', enc.lowLevel, enc.lowLevelChannels, l, 1), l, bn));
  const [, , lh, lw] = g.shape(low) as [number, number, number, number];
  const up = resizeTo(m, aspp, lh, lw, 'decoder.upsample');
  const dch = o.decoderChannels;
  let z = separable(m, 'decoder.sep1', g.op1('Concat', [up, low], { axis: 1 }), a + l, dch, 1, bn);
  z = separable(m, 'decoder.sep2', z, dch, dch, 1, bn);
  const logits = groupConv(m, spec.headName, z, dch, spec.numClasses, 1, { bias: true, initStd: 0.01 });

  let logitsFull: string | undefined;
  if (spec.upsampleLogits) {
    const [, , h, w] = g.shape(input) as [number, number, number, number];
    logitsFull = resizeTo(m, logits, h, w, 'upsample');
  }
  return {
    spec, input, logits, ...(logitsFull ? { logitsFull } : {}), features: z, featureChannels: dch,
    params: summarise(m.params), bnUpdates: m.bnUpdates,
  };
}
