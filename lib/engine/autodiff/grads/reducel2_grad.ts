/**
 * ReduceL2: Y = √(Σ X²); dX = X · dY_kept / Y_kept, taken as 0 where Y = 0 (all X there are 0;
 * PyTorch's norm gives 0 there too).
 */
import { registerGrad } from '../registry.js';
import { keptGrad, reduceInfo, reshapeTo, scalarLike } from '../ew-grad-util.js';

registerGrad('ReduceL2', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const info = reduceInfo(g, node);
  const yKept = reshapeTo(g, node.outputs[0]!, info.kept);
  const safe = g.op1('Where', [g.op1('Equal', [yKept, scalarLike(g, x, 0)]), scalarLike(g, x, 1), yKept]);
  return [g.op1('Mul', [x, g.op1('Div', [keptGrad(g, dy[0]!, info), safe])])];
});
