/** Transpose(perm): dX = Transpose(dY, perm⁻¹). */
import { attrInts } from '../../ir/graph.js';
import { transposePerm } from '../../ir/shapes/tensor-ops.js';
import { registerGrad } from '../registry.js';

registerGrad('Transpose', ({ g, node, dy }) => {
  const perm = transposePerm(attrInts(node, 'perm', undefined), g.shape(node.inputs[0]!).length);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return [g.op1('Transpose', [dy[0]!], { perm: inv })];
});
