/** Sqrt: Y = √X; dX = dY · 0.5 / Y. */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Sqrt', ({ g, node, dy }) => {
  const y = node.outputs[0]!;
  return [g.op1('Div', [g.op1('Mul', [dy[0]!, scalarLike(g, y, 0.5)]), y])];
});
