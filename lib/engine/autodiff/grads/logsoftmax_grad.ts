/**
 * LogSoftmax (opset 13: along one axis, default −1): Y = X − logΣexp(X), so with softmax = exp(Y)
 *   dX = dY − exp(Y) ⊙ Σ_axis dY        (the sum kept as a size-1 axis and broadcast).
 */
import { attrInt } from '../../ir/graph.js';
import { registerGrad } from '../registry.js';

registerGrad('LogSoftmax', ({ g, node, dy, wants }) => {
  if (!wants[0] || dy[0] === undefined) return [undefined];
  const y = node.outputs[0]!;
  const axis = attrInt(node, 'axis', -1);
  const s = g.op1('ReduceSum', [dy[0], g.constI64([axis])], { keepdims: 1 });
  return [g.op1('Sub', [dy[0], g.op1('Mul', [g.op1('Exp', [y]), s])])];
});
