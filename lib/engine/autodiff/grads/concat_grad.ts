/** Concat along axis: the input gradients are Split(dY, sizes of the inputs on axis). */
import { attrInt } from '../../ir/graph.js';
import { registerGrad } from '../registry.js';

registerGrad('Concat', ({ g, node, dy, wants }) => {
  const d = dy[0]!;
  if (node.inputs.length === 1) return [d];
  const r = g.shape(d).length;
  const axis = (attrInt(node, 'axis', 0) + r) % r;
  const sizes = node.inputs.map((inp) => g.shape(inp)[axis]!);
  const parts = g.op('Split', [d, g.constI64(sizes)], { axis }, { outputs: sizes.length });
  return parts.map((p, i) => (wants[i] ? p : undefined));
});
