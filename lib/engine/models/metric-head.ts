/**
 * The STvM metric network (stvm-method.md row 3): 1×1 conv (F → hidden, no bias), BN, ReLU,
 * 1×1 conv (hidden → D, bias), then per-pixel L2 normalisation over channels:
 * e = y / sqrt(Σ_c y_c² + ε). Shapes: features [N, F, h, w] → embedding [N, D, h, w].
 * Parameters: {prefix}.conv1.weight, {prefix}.bn1.*, {prefix}.conv2.weight/bias (group 'metric').
 */
import type { GraphBuilder } from '../ir/builder.js';
import { conv2d, convBn, ModelContext, relu } from './layers.js';
import { summarise, type BnStatUpdate, type ModelParams } from './params.js';
import { validateMetricHeadSpec, type MetricHeadSpec } from './spec.js';

export interface MetricHead {
  readonly spec: MetricHeadSpec;
  /** Unnormalised projection y [N, D, h, w]. */
  readonly projection: string;
  /** L2-normalised embedding e [N, D, h, w]. */
  readonly embedding: string;
  readonly params: ModelParams;
  readonly bnUpdates: readonly BnStatUpdate[];
}

export function buildMetricHead(g: GraphBuilder, features: string, specIn: MetricHeadSpec): MetricHead {
  const spec = validateMetricHeadSpec(specIn);
  const fs = g.shape(features);
  if (fs.length !== 4 || fs[1] !== spec.inChannels) throw new Error(`buildMetricHead: features '${features}' have shape [${fs.join(',')}], expected [N,${spec.inChannels},h,w]`);
  const m = new ModelContext(g, spec.seed);
  m.group = 'metric';
  const p = spec.prefix;
  const y = relu(m, convBn(m, `${p}.conv1`, `${p}.bn1`, features, spec.inChannels, spec.hidden, 1, {}, { mode: spec.bn, eps: spec.bnEps, momentum: spec.bnMomentum }));
  const proj = conv2d(m, `${p}.conv2`, y, spec.hidden, spec.embedDim, 1, { bias: true });
  const sq = g.op1('Mul', [proj, proj]);
  const ss = g.op1('ReduceSum', [sq, g.constI64([1])], { keepdims: 1 });
  const norm = g.op1('Sqrt', [g.op1('Add', [ss, g.constF32(spec.normEps)])]);
  const emb = g.op1('Div', [proj, norm], {}, { name: `${p}.normalize` });
  return { spec, projection: proj, embedding: emb, params: summarise(m.params), bnUpdates: m.bnUpdates };
}
