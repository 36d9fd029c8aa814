/**
 * Clip(X, min?, max?) with PyTorch clamp semantics (bounds inclusive):
 *   dX   = dY where min ≤ X ≤ max, else 0;
 *   dmin = Σ dY where X < min and min < max;   dmax = Σ dY where X > max or max < min
 * (ONNX: when min > max every output is max). An omitted bound ('') is no constraint.
 */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Clip', ({ g, node, dy, wants }) => {
  const [x, lo, hi] = [node.inputs[0]!, node.inputs[1] ?? '', node.inputs[2] ?? ''];
  const d = dy[0]!;
  const zero = scalarLike(g, d, 0);
  const masked = (cond: string, to: string) => unbroadcast(g, g.op1('Where', [cond, d, zero]), g.shape(to));
  let dx: string | undefined;
  if (wants[0]) {
    const conds: string[] = [];
    if (lo) conds.push(g.op1('GreaterOrEqual', [x, lo]));
    if (hi) conds.push(g.op1('LessOrEqual', [x, hi]));
    dx = conds.length === 0 ? d : g.op1('Where', [conds.length === 1 ? conds[0]! : g.op1('And', conds), d, zero]);
  }
  let dlo: string | undefined;
  if (wants[1] && lo) {
    const below = g.op1('Less', [x, lo]);
    dlo = masked(hi ? g.op1('And', [below, g.op1('Less', [lo, hi])]) : below, lo);
  }
  let dhi: string | undefined;
  if (wants[2] && hi) {
    const above = g.op1('Greater', [x, hi]);
    dhi = masked(lo ? g.op1('Or', [above, g.op1('Less', [hi, lo])]) : above, hi);
  }
  return [dx, dlo, dhi];
});
