/**
 * ResNet backbones (BasicBlock / Bottleneck) with torchvision parameter names (conv1, bn1,
 * layer{i}.{j}.conv{k}, layer{i}.{j}.bn{k}, layer{i}.{j}.downsample.0/1) and DeepLab-v2
 * dilation: for output stride 8, layer3 and layer4 use stride 1 with dilation 2 and 4 in
 * every block (padding = dilation in the 3×3 convs).
 */
import { convBn, maxPool, relu, type BnOpts, type ModelContext } from './layers.js';
import type { DeepLabSpec } from './spec.js';

export const EXPANSION = { basic: 1, bottleneck: 4 } as const;

/** Per-stage (stride, dilation) for an output stride. */
export function stagePlan(outputStride: 8 | 16 | 32): { strides: number[]; dilations: number[] } {
  if (outputStride === 8) return { strides: [1, 2, 1, 1], dilations: [1, 1, 2, 4] };
  if (outputStride === 16) return { strides: [1, 2, 2, 1], dilations: [1, 1, 1, 2] };
  return { strides: [1, 2, 2, 2], dilations: [1, 1, 1, 1] };
}

interface BlockArgs { name: string; x: string; inplanes: number; planes: number; stride: number; dilation: number; bn: BnOpts }

function downsample(m: ModelContext, a: BlockArgs, outC: number): string {
  if (a.stride === 1 && a.inplanes === outC) return a.x;
  return convBn(m, `${a.name}.downsample.0`, `${a.name}.downsample.1`, a.x, a.inplanes, outC, 1, { stride: a.stride }, a.bn);
}

function basicBlock(m: ModelContext, a: BlockArgs): string {
  const d = a.dilation;
  let y = relu(m, convBn(m, `${a.name}.conv1`, `${a.name}.bn1`, a.x, a.inplanes, a.planes, 3, { stride: a.stride, padding: d, dilation: d }, a.bn));
  y = convBn(m, `${a.name}.conv2`, `${a.name}.bn2`, y, a.planes, a.planes, 3, { padding: d, dilation: d }, a.bn);
  const id = downsample(m, a, a.planes);
  return relu(m, m.g.op1('Add', [y, id]));
}

function bottleneck(m: ModelContext, a: BlockArgs, strideOn: 'conv1' | 'conv2'): string {
  const d = a.dilation;
  const out = a.planes * EXPANSION.bottleneck;
  let y = relu(m, convBn(m, `${a.name}.conv1`, `${a.name}.bn1`, a.x, a.inplanes, a.planes, 1, { stride: strideOn === 'conv1' ? a.stride : 1 }, a.bn));
  y = relu(m, convBn(m, `${a.name}.conv2`, `${a.name}.bn2`, y, a.planes, a.planes, 3, { stride: strideOn === 'conv2' ? a.stride : 1, padding: d, dilation: d }, a.bn));
  y = convBn(m, `${a.name}.conv3`, `${a.name}.bn3`, y, a.planes, out, 1, {}, a.bn);
  const id = downsample(m, a, out);
  return relu(m, m.g.op1('Add', [y, id]));
}

export interface BackboneOut {
  /** Output of layer4 (stride = outputStride). */
  features: string;
  channels: number;
  /** Output of each stage layer1..layer4. */
  stages: string[];
}

/** Stem (conv1 7×7/2, bn1, relu, maxpool 3×3/2) and layer1..layer4. */
export function resnetBackbone(m: ModelContext, x: string, s: DeepLabSpec): BackboneOut {
  const bn: BnOpts = { mode: s.bn, eps: s.bnEps, momentum: s.bnMomentum };
  let y = relu(m, convBn(m, 'conv1', 'bn1', x, s.inChannels, s.stemWidth, 7, { stride: 2, padding: 3 }, bn));
  y = maxPool(m, 'maxpool', y, 3, 2, 1, s.maxpoolCeil);
  const plan = stagePlan(s.outputStride);
  const exp = EXPANSION[s.block];
  let inplanes = s.stemWidth;
  const stages: string[] = [];
  for (let li = 0; li < 4; li++) {
    const planes = s.widths[li]!;
    for (let bi = 0; bi < s.layers[li]!; bi++) {
      const a: BlockArgs = {
        name: `layer${li + 1}.${bi}`, x: y, inplanes, planes, bn,
        stride: bi === 0 ? plan.strides[li]! : 1, dilation: plan.dilations[li]!,
      };
      y = s.block === 'basic' ? basicBlock(m, a) : bottleneck(m, a, s.strideOn);
      inplanes = planes * exp;
    }
    stages.push(y);
  }
  return { features: y, channels: inplanes, stages };
}
