/**
 * GlobalAveragePool: X [N, C, spatial...] → Y [N, C, 1, ...], Y = mean over the spatial axes, so
 *   dX = Expand(dY · (1/S), shape(X)),  S = Π spatial sizes.
 */
import { numel, tensor } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';

registerGrad('GlobalAveragePool', ({ g, node, dy, wants }) => {
  if (!wants[0] || dy[0] === undefined) return [undefined];
  const x = node.inputs[0]!;
  const xs = g.shape(x);
  const s = numel(xs.slice(2));
  const scaled = g.op1('Mul', [dy[0], g.constant(tensor(g.dtype(x), [], [1 / s]), 'gap_inv')]);
  return [g.op1('Expand', [scaled, g.constI64(xs)])];
});
