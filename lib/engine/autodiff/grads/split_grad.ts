/** Split along axis: dX = Concat(dY_0, …, dY_k−1) with zeros for outputs that receive no gradient. */
import { attrInt } from '../../ir/graph.js';
import { registerGrad } from '../registry.js';
import { zeros } from '../ew-grad-util.js';

registerGrad('Split', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const r = g.shape(x).length;
  const axis = (attrInt(node, 'axis', 0) + r) % r;
  const parts = node.outputs.map((o, i) => dy[i] ?? zeros(g, g.shape(o), g.dtype(x)))
    .filter((_, i) => g.shape(node.outputs[i]!)[axis] !== 0);
  const dx = parts.length === 1 ? parts[0]! : g.op1('Concat', parts, { axis });
  return [dx, undefined];
});
