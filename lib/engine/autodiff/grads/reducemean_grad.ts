/** ReduceMean over axes (n elements each): dX = Expand(Reshape(dY, kept) / n, shape(X)). */
import { registerGrad } from '../registry.js';
import { keptGrad, reduceInfo, scalarLike } from '../ew-grad-util.js';

registerGrad('ReduceMean', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const info = reduceInfo(g, node);
  const scaled = g.op1('Div', [keptGrad(g, dy[0]!, info), scalarLike(g, x, info.count)]);
  return [g.op1('Expand', [scaled, g.constI64(g.shape(x))])];
});
