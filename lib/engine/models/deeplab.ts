/**
 * DeepLab-v2 segmentation network: a dilated ResNet backbone (output stride 8 by default) and
 * the ASPP classifier of DeepLab-v2 — parallel 3×3 convs (features → classes, bias, dilation =
 * padding = d for d in asppDilations, init normal(0, 0.01), bias 0) whose outputs are summed.
 * Shapes: image [N, inChannels, H, W] → features [N, F, h, w] (h = ⌈H/8⌉-ish, the stem/pool
 * rounding) → logits [N, numClasses, h, w]; with upsampleLogits also logitsFull
 * [N, numClasses, H, W] (bilinear, align_corners=True, as nn.Upsample in SFDA repos).
 * A spec with encoder 'mobilenetv2' builds the DeepLab-v3+ style MobileNetV2 network instead
 * (mobilenetv2.ts; same SegModel contract).
 */
import { GraphBuilder } from '../ir/builder.js';
import { conv2d, ModelContext } from './layers.js';
import { summarise, type BnStatUpdate, type ModelParams } from './params.js';
import { resnetBackbone } from './resnet.js';
import { buildMobileNetV2DeepLab } from './mobilenetv2.js';
import { validateDeepLabSpec, type DeepLabSpec } from './spec.js';

export interface SegModel {
  /** The DeepLab's spec (absent for an imported graph, lib/model/imported-net.ts). */
  readonly spec?: DeepLabSpec;
  readonly input: string;
  /** Classifier output at feature resolution [N, C, h, w]. */
  readonly logits: string;
  /** Logits upsampled to the input size (only with spec.upsampleLogits). */
  readonly logitsFull?: string;
  /** Encoder features: the last backbone stage output [N, F, h, w] (what the metric net reads). */
  readonly features: string;
  readonly featureChannels: number;
  readonly params: ModelParams;
  /** Train-mode BN only: running-statistics outputs to feed back after each step. */
  readonly bnUpdates: readonly BnStatUpdate[];
}

export interface BuildOptions {
  /** Fold frozen BN into the preceding convolution (default false; see layers.ts convBn). */
  foldFrozenBn?: boolean;
  /** Train-mode BN: batch statistics from rows [first, first + count) only (layers.ts, bn-rows.ts). */
  bnStatsRows?: readonly [number, number];
}

/** Adds a DeepLab-v2 network reading `input` ([N, inChannels, H, W], float32) to g. */
export function buildDeepLab(g: GraphBuilder, input: string, specIn: DeepLabSpec, opts: BuildOptions = {}): SegModel {
  const spec = validateDeepLabSpec(specIn);
  const ish = g.shape(input);
  if (ish.length !== 4 || ish[1] !== spec.inChannels) throw new Error(`buildDeepLab: input '${input}' has shape [${ish.join(',')}], expected [N,${spec.inChannels},H,W]`);
  const m = new ModelContext(g, spec.seed);
  m.foldFrozenBn = opts.foldFrozenBn ?? false;
  m.bnStatsRows = opts.bnStatsRows;
  if (spec.encoder === 'mobilenetv2') return buildMobileNetV2DeepLab(m, input, spec);
  m.group = 'backbone';
  const bb = resnetBackbone(m, input, spec);
  m.group = 'head';
  const branches = spec.asppDilations.map((d, i) => conv2d(m, `${spec.headName}.conv2d_list.${i}`, bb.features, bb.channels, spec.numClasses, 3, {
    padding: d, dilation: d, bias: true, initStd: 0.01,
  }));
  const logits = branches.length === 1 ? branches[0]! : g.op1('Sum', branches, {}, { name: `${spec.headName}.sum` });
  let logitsFull: string | undefined;
  if (spec.upsampleLogits) {
    const [n, , h, w] = ish;
    logitsFull = g.op1('Resize', [logits, '', '', g.constI64([n!, spec.numClasses, h!, w!])], {
      mode: 'linear', coordinate_transformation_mode: 'align_corners',
    }, { name: 'upsample' });
  }
  return {
    spec, input, logits, ...(logitsFull ? { logitsFull } : {}), features: bb.features, featureChannels: bb.channels,
    params: summarise(m.params), bnUpdates: m.bnUpdates,
  };
}

/** A fresh graph with input 'image' [N, inChannels, H, W] and the DeepLab built on it. */
export function createDeepLab(spec: DeepLabSpec, batch: number, height: number, width: number, graphName = 'deeplab', opts: BuildOptions = {}): { g: GraphBuilder; model: SegModel } {
  const g = new GraphBuilder(graphName);
  const input = g.input('image', 'float32', [batch, spec.inChannels, height, width]);
  return { g, model: buildDeepLab(g, input, spec, opts) };
}
