/** ReduceSum: dX = Expand(Reshape(dY, keepdims shape), shape(X)). */
import { attrInt } from '../../ir/graph.js';
import { toNumbers } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';

registerGrad('ReduceSum', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const xs = g.shape(x);
  const axesT = node.inputs[1] ? g.constValue(node.inputs[1]) : undefined;
  const noop = attrInt(node, 'noop_with_empty_axes', 0) === 1;
  const axes = axesT ? toNumbers(axesT).map((a) => (a < 0 ? a + xs.length : a)) : noop ? [] : xs.map((_, i) => i);
  const kept = xs.map((d, i) => (axes.includes(i) ? 1 : d));
  const r = g.op1('Reshape', [dy[0]!, g.constI64(kept)]);
  return [g.op1('Expand', [r, g.constI64(xs)]), undefined];
});
