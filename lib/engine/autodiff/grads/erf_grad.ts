/** Erf: Y = erf(X) = (2/√π)∫₀ˣ e^(−t²) dt; dX = dY · (2/√π) · e^(−X²). */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Erf', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const gauss = g.op1('Exp', [g.op1('Neg', [g.op1('Mul', [x, x])])]);
  return [g.op1('Mul', [g.op1('Mul', [dy[0]!, gauss]), scalarLike(g, x, 2 / Math.sqrt(Math.PI))])];
});
