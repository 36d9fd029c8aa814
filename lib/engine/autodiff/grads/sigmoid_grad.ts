/** Sigmoid: Y = σ(X); dX = dY · Y · (1 − Y). */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Sigmoid', ({ g, node, dy }) => {
  const y = node.outputs[0]!;
  const oneMinus = g.op1('Sub', [scalarLike(g, y, 1), y]);
  return [g.op1('Mul', [g.op1('Mul', [dy[0]!, y]), oneMinus])];
});
