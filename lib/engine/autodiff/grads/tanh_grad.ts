/** Tanh: Y = tanh(X); dX = dY · (1 − Y²). */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Tanh', ({ g, node, dy }) => {
  const y = node.outputs[0]!;
  const oneMinus = g.op1('Sub', [scalarLike(g, y, 1), g.op1('Mul', [y, y])]);
  return [g.op1('Mul', [dy[0]!, oneMinus])];
});
