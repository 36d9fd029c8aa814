/**
 * BatchNormalization (opset 15), fused formulas; axes = all but the channel axis,
 * n = numel(X)/C, per-channel tensors broadcast as [1,C,1,...], a = γ·inv.
 *
 * train (training_mode=1), batch statistics x̂, inv from bnBatchStats (shared with the
 * lowering, see ir/lower-batchnorm.ts):
 *   dγ = Σ dY·x̂      dβ = Σ dY
 *   dX = inv·(g − mean(g) − x̂·mean(g·x̂)), g = dY·γ
 *      = a·dY − x̂·(a·dγ/n) − a·dβ/n                      (3 full-size ops after the sums)
 *   plus, when the running-stat outputs receive gradients (momentum m, unbiased blend):
 *   dX += (1−m)/n·dRM + 2(1−m)/(n−1)·xc·dRV   (xc = x̂·sd, folded into the two coefficients)
 *   d running_mean_in = m·dRM,  d running_var_in = m·dRV
 * eval (training_mode=0), given mean μ and variance σ², inv = 1/√(σ²+ε):
 *   dX = a·dY   dβ = Σ dY   dγ = inv·Σ dY·(X−μ)   dμ = −a·Σ dY   dσ² = −½·a·inv²·Σ dY·(X−μ)
 */
import type { GraphBuilder } from '../../ir/builder.js';
import { attrFloat, type Node } from '../../ir/graph.js';
import { bnAxes, bnBatchStats, isTrainingBatchNorm } from '../../ir/lower-batchnorm.js';
import { numel } from '../../ir/tensor.js';
import type { GradContext } from '../registry.js';
import { registerGrad } from '../registry.js';
import { reshape, scale, scalarLike } from './nn-util.js';

interface Ctx { g: GraphBuilder; node: Node; c: number; n: number; bshape: number[]; axes: () => string }

function setup(g: GraphBuilder, node: Node): Ctx {
  const xs = g.shape(node.inputs[0]!);
  const c = xs[1]!;
  let axes: string | undefined;
  return {
    g, node, c, n: numel(xs) / c, bshape: xs.map((d, i) => (i === 1 ? d : 1)),
    axes: () => (axes ??= g.constI64(bnAxes(xs.length))), // created on first use only
  };
}

const mul = (g: GraphBuilder, a: string, b: string) => g.op1('Mul', [a, b]);
const sumB = (k: Ctx, t: string) => k.g.op1('ReduceSum', [t, k.axes()], { keepdims: 1 });

function trainGrad({ g, node, dy, wants }: GradContext): (string | undefined)[] {
  const k = setup(g, node);
  const [, gamma] = node.inputs as [string, string];
  const [d, dRm, dRv] = [dy[0], dy[1], dy[2]];
  const m = attrFloat(node, 'momentum', 0.9);
  const st = bnBatchStats(g, node, true);
  const xhat = st.xhat!;
  const s1 = d && (wants[0] || wants[1]) ? sumB(k, mul(g, d, xhat)) : undefined; // Σ dY·x̂
  const s0 = d && (wants[0] || wants[2]) ? sumB(k, d) : undefined; // Σ dY
  let dx: string | undefined;
  if (wants[0]) {
    const a = mul(g, reshape(g, gamma, k.bshape), st.inv);
    const bterms: string[] = [];
    const cterms: string[] = [];
    if (s1) bterms.push(scale(g, mul(g, a, s1), 1 / k.n));
    if (s0) cterms.push(scale(g, mul(g, a, s0), 1 / k.n));
    if (dRv) bterms.push(g.op1('Neg', [scale(g, mul(g, st.sd, reshape(g, dRv, k.bshape)), (2 * (1 - m)) / (k.n - 1))]));
    if (dRm) cterms.push(g.op1('Neg', [scale(g, reshape(g, dRm, k.bshape), (1 - m) / k.n)]));
    const comb = (t: string[]) => (t.length === 0 ? undefined : t.length === 1 ? t[0]! : g.op1('Add', t));
    const bcoef = comb(bterms);
    const ccoef = comb(cterms);
    let r: string | undefined = d ? mul(g, d, a) : undefined;
    if (bcoef) {
      const t = mul(g, xhat, bcoef);
      r = r ? g.op1('Sub', [r, t]) : g.op1('Neg', [t]);
    }
    if (ccoef) r = r ? g.op1('Sub', [r, ccoef]) : g.op1('Expand', [g.op1('Neg', [ccoef]), g.constI64(g.shape(xhat))]);
    dx = r;
  }
  return [
    dx,
    wants[1] && s1 ? reshape(g, s1, [k.c]) : undefined,
    wants[2] && s0 ? reshape(g, s0, [k.c]) : undefined,
    wants[3] && dRm ? scale(g, dRm, m) : undefined,
    wants[4] && dRv ? scale(g, dRv, m) : undefined,
  ];
}

function evalGrad({ g, node, dy, wants }: GradContext): (string | undefined)[] {
  const k = setup(g, node);
  const [x, gamma, , mean, variance] = node.inputs as [string, string, string, string, string];
  const d = dy[0]!;
  const eps = scalarLike(g, variance, attrFloat(node, 'epsilon', 1e-5));
  const inv = reshape(g, g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [variance, eps])])]), k.bshape);
  const a = mul(g, reshape(g, gamma, k.bshape), inv);
  const t = wants[1] || wants[4] ? sumB(k, mul(g, d, g.op1('Sub', [x, reshape(g, mean, k.bshape)]))) : undefined;
  const s0 = wants[2] || wants[3] ? sumB(k, d) : undefined;
  return [
    wants[0] ? mul(g, d, a) : undefined,
    wants[1] ? reshape(g, mul(g, t!, inv), [k.c]) : undefined,
    wants[2] ? reshape(g, s0!, [k.c]) : undefined,
    wants[3] ? reshape(g, g.op1('Neg', [mul(g, a, s0!)]), [k.c]) : undefined,
    wants[4] ? reshape(g, scale(g, mul(g, t!, mul(g, a, mul(g, inv, inv))), -0.5), [k.c]) : undefined,
  ];
}

registerGrad('BatchNormalization', (ctx) => {
  if (isTrainingBatchNorm(ctx.node)) return trainGrad(ctx);
  if (ctx.dy[0] === undefined) return [];
  return evalGrad(ctx);
});
