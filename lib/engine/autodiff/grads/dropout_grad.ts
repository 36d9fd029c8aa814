/**
 * Dropout (opset 13: inputs data, ratio r (default 0.5), training_mode t (default false); outputs
 * output, mask). Training: Y = X ⊙ mask / (1 − r), so
 *   dX = Where(mask, dY · 1/(1 − r), 0)
 * using the forward's own mask (the random draw cannot be repeated): when the forward node has no
 * mask output, the rule replaces it in the graph by the same node with a mask output added.
 * Eval mode (t omitted or a constant false) and r = 0 are the identity: dX = dY.
 * A training_mode fed at run time gives scale Where(t, 1/(1 − r), 1) (the eval mask is all true).
 */
import type { GraphBuilder } from '../../ir/builder.js';
import type { Node } from '../../ir/graph.js';
import { tensor } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';

/** The mask output of a Dropout node, added to the node (in place in the graph) when absent. */
export function dropoutMask(g: GraphBuilder, node: Node): string {
  const have = node.outputs[1];
  if (have) return have;
  const at = g.graph.nodes.indexOf(node);
  if (at < 0) throw new Error(`Dropout node '${node.name}': not found in graph '${g.graph.name}'`);
  const mask = g.fresh(`${node.name}_mask`);
  const y = node.outputs[0]!;
  g.graph.values.set(mask, { name: mask, dtype: 'bool', shape: g.shape(y) });
  g.graph.nodes[at] = { ...node, outputs: [y, mask] };
  return mask;
}

registerGrad('Dropout', ({ g, node, dy, wants }) => {
  if (!wants[0] || dy[0] === undefined) return [undefined];
  const d = dy[0];
  const x = node.inputs[0]!;
  const dtype = g.dtype(x);
  const ratioIn = node.inputs[1] || undefined;
  const tmIn = node.inputs[2] || undefined;
  const tmT = tmIn === undefined ? undefined : g.constValue(tmIn);
  // false: eval mode; undefined: fed at run time
  const tmConst = tmIn === undefined ? false : tmT === undefined ? undefined : Number(tmT.data[0]) !== 0;
  if (tmConst === false) return [d];
  const ratioT = ratioIn === undefined ? undefined : g.constValue(ratioIn);
  const ratio = ratioIn === undefined ? 0.5 : ratioT === undefined ? undefined : Math.fround(Number(ratioT.data[0]));
  if (ratio === 0) return [d];
  let scale = ratio === undefined
    ? g.op1('Reciprocal', [g.op1('Sub', [g.constant(tensor(dtype, [], [1]), 'one'), ratioIn!])])
    : g.constant(tensor(dtype, [], [1 / (1 - ratio)]), 'dropout_scale');
  if (tmConst === undefined) scale = g.op1('Where', [tmIn!, scale, g.constant(tensor(dtype, [], [1]), 'one')]);
  const mask = dropoutMask(g, node);
  return [g.op1('Where', [mask, g.op1('Mul', [d, scale]), g.constant(tensor(dtype, [], [0]), 'zero')])];
});
