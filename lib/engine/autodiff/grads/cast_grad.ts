/** Cast between float types: dX = Cast(dY, dtype(X)). Integer casts carry no gradient (not active). */
import { ONNX_DTYPE } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';

const FLOAT = new Set(['float32', 'float64']);

registerGrad('Cast', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const d = dy[0]!;
  if (!FLOAT.has(g.dtype(x)) || !FLOAT.has(g.dtype(d))) return [undefined];
  return [g.dtype(d) === g.dtype(x) ? d : g.op1('Cast', [d], { to: ONNX_DTYPE[g.dtype(x)] })];
});
