/** Relu: dX = Where(X > 0, dY, 0) (zero gradient at X = 0, as in PyTorch). */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Relu', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const zero = scalarLike(g, x, 0);
  return [g.op1('Where', [g.op1('Greater', [x, zero]), dy[0]!, scalarLike(g, dy[0]!, 0)])];
});
