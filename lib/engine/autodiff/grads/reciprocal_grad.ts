/** Reciprocal: Y = 1/X; dX = −dY · Y². */
import { registerGrad } from '../registry.js';

registerGrad('Reciprocal', ({ g, node, dy }) => {
  const y = node.outputs[0]!;
  return [g.op1('Neg', [g.op1('Mul', [dy[0]!, g.op1('Mul', [y, y])])])];
});
