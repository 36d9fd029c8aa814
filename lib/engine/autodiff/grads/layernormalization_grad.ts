/**
 * LayerNormalization (opset 17: axis, default −1; epsilon, default 1e-5; inputs X, Scale, B?;
 * outputs Y, Mean?, InvStdDev?). With the normalised axes A = axis..r−1, n = Π X.shape[A],
 * μ = mean_A(X) and inv = (mean_A((X − μ)²) + ε)^−½ kept as size-1 axes, x̂ = (X − μ)·inv and
 * Y = x̂·Scale + B (Scale and B of shape X.shape[A]):
 *   dScale = Σ_outer dY·x̂      dB = Σ_outer dY           (outer axes 0..axis−1; none when axis = 0)
 *   dX     = inv·(g − mean_A(g) − x̂·mean_A(g·x̂)),   g = dY·Scale
 * plus, when the statistic outputs receive gradients (Mean = μ, InvStdDev = inv; with
 * ∂μ/∂X = 1/n and ∂inv/∂X = −inv³·(X − μ)/n = −inv²·x̂/n):
 *   dX    += dMean/n − x̂·(dInvStdDev·inv²/n)
 * μ and inv are the node's own Mean/InvStdDev outputs where it has them, else recomputed from X
 * (ReduceMean, population variance, as the op defines them).
 */
import { attrFloat, attrInt } from '../../ir/graph.js';
import { numel, sameShape } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';
import { reshape, scale, scalarLike } from './nn-util.js';

registerGrad('LayerNormalization', ({ g, node, dy, wants }) => {
  const [x, gamma, beta] = [node.inputs[0]!, node.inputs[1]!, node.inputs[2] ?? ''];
  const [d, dMean, dInv] = [dy[0], dy[1], dy[2]];
  const xs = g.shape(x);
  const r = xs.length;
  const axisAttr = attrInt(node, 'axis', -1);
  const a = axisAttr < 0 ? axisAttr + r : axisAttr;
  const normAxes = xs.map((_, i) => i).filter((i) => i >= a);
  const outerAxes = xs.map((_, i) => i).filter((i) => i < a);
  const n = numel(xs.slice(a));
  const mean = (t: string) => g.op1('ReduceMean', [t], { axes: normAxes, keepdims: 1 });
  const sumOuter = (t: string, like: string) =>
    reshape(g, outerAxes.length === 0 ? t : g.op1('ReduceSum', [t, g.constI64(outerAxes)], { keepdims: 0 }), g.shape(like));

  const needX = wants[0] && (d !== undefined || dMean !== undefined || dInv !== undefined);
  const needXhat = (wants[0] && (d !== undefined || dInv !== undefined)) || (wants[1] && d !== undefined);
  let xhat: string | undefined;
  let inv: string | undefined;
  if (needXhat) {
    const mu = node.outputs[1] || mean(x);
    const xc = g.op1('Sub', [x, mu]);
    inv = node.outputs[2]
      || g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [mean(g.op1('Mul', [xc, xc])), scalarLike(g, xc, attrFloat(node, 'epsilon', 1e-5))])])]);
    xhat = g.op1('Mul', [xc, inv]);
  }

  let dx: string | undefined;
  if (needX) {
    const terms: { t: string; sign: 1 | -1 }[] = [];
    if (d !== undefined) {
      const gg = g.op1('Mul', [d, gamma]);
      const inner = g.op1('Sub', [g.op1('Sub', [gg, mean(gg)]), g.op1('Mul', [xhat!, mean(g.op1('Mul', [gg, xhat!]))])]);
      terms.push({ t: g.op1('Mul', [inv!, inner]), sign: 1 });
    }
    if (dMean !== undefined) terms.push({ t: scale(g, dMean, 1 / n), sign: 1 });
    if (dInv !== undefined) terms.push({ t: g.op1('Mul', [xhat!, scale(g, g.op1('Mul', [dInv, g.op1('Mul', [inv!, inv!])]), 1 / n)]), sign: -1 });
    let acc = terms[0]!.sign === 1 ? terms[0]!.t : g.op1('Neg', [terms[0]!.t]);
    for (const { t, sign } of terms.slice(1)) acc = g.op1(sign === 1 ? 'Add' : 'Sub', [acc, t]);
    dx = sameShape(g.shape(acc), xs) ? acc : g.op1('Expand', [acc, g.constI64(xs)]);
  }
  return [
    dx,
    wants[1] && d !== undefined ? sumOuter(g.op1('Mul', [d, xhat!]), gamma) : undefined,
    wants[2] && beta !== '' && d !== undefined ? sumOuter(d, beta) : undefined,
  ];
});
