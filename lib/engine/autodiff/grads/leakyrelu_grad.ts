/** LeakyRelu (alpha, default 0.01): dX = dY · Where(X > 0, 1, alpha). */
import { attrFloat } from '../../ir/graph.js';
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('LeakyRelu', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const alpha = attrFloat(node, 'alpha', 0.01);
  const slope = g.op1('Where', [g.op1('Greater', [x, scalarLike(g, x, 0)]), scalarLike(g, x, 1), scalarLike(g, x, alpha)]);
  return [g.op1('Mul', [dy[0]!, slope])];
});
