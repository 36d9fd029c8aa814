/**
 * HardSigmoid (alpha, default 0.2; beta, default 0.5): Y = max(0, min(1, alpha·X + beta)), so
 *   dX = dY · alpha   where 0 < alpha·X + beta < 1 (X strictly between the clip points),
 *   dX = 0            elsewhere, including AT the clip points.
 * The clip points are X = −beta/alpha and (1 − beta)/alpha; the open interval is PyTorch's
 * subgradient (hardsigmoid_backward: X > −3 && X < 3 for torch's alpha = 1/6, beta = 0.5, which
 * these thresholds reproduce exactly in float32). alpha = 0 gives a zero gradient.
 */
import { attrFloat } from '../../ir/graph.js';
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('HardSigmoid', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const d = dy[0]!;
  const alpha = attrFloat(node, 'alpha', 0.2);
  const beta = attrFloat(node, 'beta', 0.5);
  const zero = scalarLike(g, d, 0);
  if (alpha === 0) return [g.op1('Mul', [d, zero])];
  const [lo, hi] = alpha > 0 ? [-beta / alpha, (1 - beta) / alpha] : [(1 - beta) / alpha, -beta / alpha];
  const inside = g.op1('And', [g.op1('Greater', [x, scalarLike(g, x, lo)]), g.op1('Less', [x, scalarLike(g, x, hi)])]);
  return [g.op1('Where', [inside, g.op1('Mul', [d, scalarLike(g, d, alpha)]), zero])];
});
