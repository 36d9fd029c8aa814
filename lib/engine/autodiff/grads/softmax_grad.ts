/**
 * Softmax (opset 13: along one axis, default −1): Y = softmax(X), so
 *   dX = Y ⊙ (dY − Σ_axis(dY ⊙ Y))      (the sum kept as a size-1 axis and broadcast).
 */
import { attrInt } from '../../ir/graph.js';
import { registerGrad } from '../registry.js';

registerGrad('Softmax', ({ g, node, dy, wants }) => {
  if (!wants[0] || dy[0] === undefined) return [undefined];
  const y = node.outputs[0]!;
  const axis = attrInt(node, 'axis', -1);
  const s = g.op1('ReduceSum', [g.op1('Mul', [dy[0], y]), g.constI64([axis])], { keepdims: 1 });
  return [g.op1('Mul', [y, g.op1('Sub', [dy[0], s])])];
});
