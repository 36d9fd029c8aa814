/**
 * Relu: dX = Where(X > 0, dY, 0) (zero gradient at X = 0, as in PyTorch); 'mul' forms the same
 * as dY · Cast(X > 0) (exact: dY·1 and dY·0).
 */
import { registerGrad } from '../registry.js';
import { scalarLike } from '../ew-grad-util.js';

export const reluGradTuning: { method: 'where' | 'mul' | 'sign' } = { method: 'mul' };

registerGrad('Relu', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  if (reluGradTuning.method === 'sign') return [g.op1('Mul', [dy[0]!, g.op1('Sign', [node.outputs[0]!])])];
  const zero = scalarLike(g, x, 0);
  const pos = g.op1('Greater', [x, zero]);
  if (reluGradTuning.method === 'mul') return [g.op1('Mul', [dy[0]!, g.op1('Cast', [pos], { to: 1 })])];
  return [g.op1('Where', [pos, dy[0]!, scalarLike(g, dy[0]!, 0)])];
});
