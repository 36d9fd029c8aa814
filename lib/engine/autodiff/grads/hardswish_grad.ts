/**
 * HardSwish: Y = X · max(0, min(1, X/6 + 1/2)) (ONNX fixes alpha = 1/6, beta = 1/2), so
 *   dX = 0              where X ≤ −3
 *   dX = dY · (X/3 + ½) where −3 < X < 3
 *   dX = dY             where X ≥ 3
 * At the kinks this is PyTorch's subgradient (hardswish_backward): 0 at X = −3 (the left
 * derivative; the right one would be −3/3 + ½ = −½) and 1 at X = 3 (the right derivative; the
 * left one would be 3/3 + ½ = 1.5).
 */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('HardSwish', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const d = dy[0]!;
  const mid = g.op1('Add', [g.op1('Div', [x, scalarLike(g, x, 3)]), scalarLike(g, x, 0.5)]);
  const upper = g.op1('Where', [g.op1('Less', [x, scalarLike(g, x, 3)]), mid, scalarLike(g, x, 1)]);
  const slope = g.op1('Where', [g.op1('LessOrEqual', [x, scalarLike(g, x, -3)]), scalarLike(g, x, 0), upper]);
  return [g.op1('Mul', [d, slope])];
});
