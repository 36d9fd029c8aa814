/**
 * Shared rule of element-wise Max and Min: m_i = (X_i == Y), dX_i = unbroadcast(dY · m_i / Σ_j m_j),
 * so tied inputs share the gradient evenly.
 */
import { ONNX_DTYPE } from '../ir/tensor.js';
import type { GradRule } from './registry.js';
import { unbroadcast } from './unbroadcast.js';

export const minMaxGrad: GradRule = ({ g, node, dy, wants }) => {
  const y = node.outputs[0]!;
  const d = dy[0]!;
  if (node.inputs.length === 1) return [d];
  const to = ONNX_DTYPE[g.dtype(y)];
  const masks = node.inputs.map((inp) => g.op1('Cast', [g.op1('Equal', [inp, y])], { to }));
  const share = g.op1('Div', [d, g.op1('Sum', masks)]);
  return node.inputs.map((inp, i) => (wants[i] ? unbroadcast(g, g.op1('Mul', [share, masks[i]!]), g.shape(inp)) : undefined));
};
