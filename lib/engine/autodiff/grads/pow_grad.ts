/**
 * Pow: Y = A^B (B constant or a tensor, maybe of another numeric type).
 *   dA = unbroadcast(dY · B · A^(B−1))     (0 where B = 0, as in PyTorch)
 *   dB = unbroadcast(dY · Y · ln A)        (0 where A = 0 and B ≥ 0, as in PyTorch)
 * A constant exponent is folded at build time (B = 1: dA = dY; B = 2: dA = 2·dY·A).
 */
import { toNumbers } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { castTo, scalarLike } from '../ew-grad-util.js';

registerGrad('Pow', ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const d = dy[0]!;
  let da: string | undefined;
  if (wants[0]) {
    const bc = g.constValue(b);
    const k = bc && bc.data.length === 1 ? toNumbers(bc)[0]! : undefined;
    if (k === 0) da = g.op1('Mul', [d, scalarLike(g, a, 0)]);
    else if (k === 1) da = d;
    else if (k === 2) da = g.op1('Mul', [g.op1('Mul', [d, a]), scalarLike(g, a, 2)]);
    else if (k !== undefined) da = g.op1('Mul', [d, g.op1('Mul', [scalarLike(g, a, k), g.op1('Pow', [a, scalarLike(g, a, k - 1)])])]);
    else {
      const bf = castTo(g, b, g.dtype(a));
      const zero = scalarLike(g, a, 0);
      const slope = g.op1('Mul', [bf, g.op1('Pow', [a, g.op1('Sub', [bf, scalarLike(g, a, 1)])])]);
      da = g.op1('Mul', [d, g.op1('Where', [g.op1('Equal', [bf, zero]), zero, slope])]);
    }
    da = unbroadcast(g, da, g.shape(a));
  }
  let db: string | undefined;
  if (wants[1]) {
    const zero = scalarLike(g, a, 0);
    const yLog = g.op1('Mul', [y, g.op1('Log', [a])]);
    const atZero = g.op1('And', [g.op1('Equal', [a, zero]), g.op1('GreaterOrEqual', [b, scalarLike(g, b, 0)])]);
    db = castTo(g, unbroadcast(g, g.op1('Mul', [d, g.op1('Where', [atZero, zero, yLog])]), g.shape(b)), g.dtype(b));
  }
  return [da, db];
});
