/**
 * The benchmark cases of bench/engine.ts: a network, a batch and the training step both sides
 * time (forward, bilinear upsampling to the label size, weighted CE with ignore 255, backward,
 * SGD momentum 0.9 / weight decay 5e-4 / head lr ×10).
 */
import { compileTrainStep, type CompiledGraph } from '../lib/engine/compile/index.js';
import type { GraphBuilder } from '../lib/engine/ir/builder.js';
import { softmaxCrossEntropy } from '../lib/engine/losses/cross-entropy.js';
import { createDeepLab, deeplabV2Spec, smallDeepLabSpec, type DeepLabSpec, type SegModel } from '../lib/engine/models/index.js';
import { makeBatch, type Batch } from './nets/net-case.js';

export interface BenchCase { name: string; spec: DeepLabSpec; batch: [number, number, number] }

export const BENCH_CASES: Record<string, BenchCase> = {
  small: {
    name: 'small DeepLab (ResNet-18-like, OS8, frozen BN) 4x3x180x240',
    spec: smallDeepLabSpec({ numClasses: 11, upsampleLogits: true }),
    batch: [4, 180, 240],
  },
  r101: {
    name: 'DeepLab-v2 ResNet-101 (OS8, frozen BN) 1x3x512x1024',
    spec: deeplabV2Spec({ numClasses: 19, upsampleLogits: true }),
    batch: [1, 512, 1024],
  },
};

export interface BuiltCase { g: GraphBuilder; model: SegModel; batch: Batch; loss: string; logits: string; dLogits: string }

export function buildBenchCase(c: BenchCase, opts: { foldFrozenBn?: boolean } = {}): BuiltCase {
  const [n, h, w] = c.batch;
  const { g, model } = createDeepLab(c.spec, n, h, w, 'bench', opts);
  const batch = makeBatch({ name: 'bench', spec: c.spec, batch: c.batch, dataSeed: 99, perturbBn: false });
  const labels = g.input('labels', 'int64', batch.labels.shape);
  const weights = g.input('weights', 'float32', batch.weights.shape);
  const ce = softmaxCrossEntropy(g, model.logitsFull!, labels, { weights });
  return { g, model, batch, loss: ce.loss, logits: model.logitsFull!, dLogits: ce.dLogits };
}

/** The step both sides time; `opts` are the engine's A/B knobs (bench/engine-ab.ts). */
export function compileBenchStep(b: BuiltCase, opts: { nanGuard?: boolean; seeded?: boolean } = {}): CompiledGraph {
  return compileTrainStep(b.g, {
    loss: b.loss,
    nanGuard: opts.nanGuard ?? false,
    ...(opts.seeded ?? true ? { seeds: [{ value: b.logits, grad: b.dLogits }] } : {}),
    groups: [{ params: b.model.params.backbone }, { params: b.model.params.head, lrMult: 10 }],
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    buffers: b.model.bnUpdates.flatMap((u) => [{ name: u.mean, from: u.newMean }, { name: u.var, from: u.newVar }]),
  });
}

/** Multiply-accumulates of every Conv node of the forward graph (one forward pass). */
export function convMacs(g: GraphBuilder): number {
  let macs = 0;
  for (const n of g.graph.nodes) {
    if (n.op !== 'Conv') continue;
    const w = g.shape(n.inputs[1]!);
    const y = g.shape(n.outputs[0]!);
    macs += y.reduce((a, b) => a * b, 1) * w[1]! * w[2]! * w[3]!;
  }
  return macs;
}
