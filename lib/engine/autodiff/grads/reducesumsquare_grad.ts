/** ReduceSumSquare: Y = Σ X²; dX = 2 · X · dY_kept. */
import { registerGrad } from '../registry.js';
import { keptGrad, reduceInfo, scalarLike } from '../ew-grad-util.js';

registerGrad('ReduceSumSquare', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const info = reduceInfo(g, node);
  return [g.op1('Mul', [x, g.op1('Mul', [keptGrad(g, dy[0]!, info), scalarLike(g, x, 2)])])];
});
