/**
 * MaxPool: X [N, C, spatial...], Y and Indices I [N, C, out...]. onnxruntime's indices are flat
 * over the whole of X (N·C·H·W, row-major, storage_order 0), so
 *   dX = Reshape(ScatterElements(zeros[N·C·H·W], Reshape(I, [-1]), Reshape(dY, [-1]),
 *                                axis 0, reduction 'add'), shape(X))
 * which adds (not overwrites) where windows overlap; MaxUnpool would be wrong there. Works for any
 * kernel, stride, pads, dilations and ceil_mode, since the indices carry the geometry.
 *
 * When the forward node has no Indices output, the rule emits a second MaxPool with the same
 * attributes and two outputs (the pooling is computed twice). Models should build their pools
 * with `maxPoolWithIndices` so the backward reuses the forward's indices.
 * storage_order=1 (column-major indices) is rejected with an error naming the node.
 */
import type { Attrs, GraphBuilder } from '../../ir/builder.js';
import { toAttr } from '../../ir/attrs.js';
import { attrInt, attrString, type Attr, type Node } from '../../ir/graph.js';
import { floorModeEndPads, onnxPoolShapeDisagrees, poolGeometry } from '../../ir/shapes/pool-geometry.js';
import { numel, tensor } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';

/**
 * MaxPool with its Indices output (int64, flat over N·C·spatial), for differentiable models.
 * A ceil_mode=1 pool whose last-window rule drops a window (where ONNX's shape inference, run by
 * onnxruntime at load time, disagrees with the kernel) is written as the identical floor-mode
 * pool with widened end pads, so the model loads without shape conflicts.
 */
export function maxPoolWithIndices(g: GraphBuilder, x: string, attrs: Attrs, opts: { name?: string } = {}): { y: string; indices: string } {
  const [y, indices] = g.op('MaxPool', [x], floorModeAttrs(g, x, attrs), { outputs: 2, ...(opts.name ? { name: opts.name } : {}) });
  return { y: y!, indices: indices! };
}

function floorModeAttrs(g: GraphBuilder, x: string, attrs: Attrs): Attrs {
  const tagged: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) tagged[k] = toAttr(k, v);
  const probe: Node = { op: 'MaxPool', name: 'maxPoolWithIndices', inputs: [x], outputs: [], attrs: tagged };
  if (attrInt(probe, 'ceil_mode', 0) !== 1 || !['NOTSET', 'VALID'].includes(attrString(probe, 'auto_pad', 'NOTSET'))) return attrs;
  const geo = poolGeometry(probe, g.shape(x));
  const pe = onnxPoolShapeDisagrees(geo) ? floorModeEndPads(geo) : undefined;
  if (pe === undefined) return attrs;
  const { auto_pad: _drop, ...rest } = attrs;
  return { ...rest, ceil_mode: 0, pads: [...geo.padsBegin, ...pe] };
}

registerGrad('MaxPool', ({ g, node, dy, wants }) => {
  if (!wants[0] || dy[0] === undefined) return [undefined];
  if (attrInt(node, 'storage_order', 0) !== 0) throw new Error(`MaxPool node '${node.name}': storage_order=1 has no gradient rule (use 0)`);
  const x = node.inputs[0]!;
  let idx = node.outputs[1];
  if (!idx) {
    const attrs: Attrs = { ...node.attrs };
    idx = g.op('MaxPool', [x], attrs, { outputs: 2, name: `${node.name}_indices` })[1]!;
  }
  const xs = g.shape(x);
  const dtype = g.dtype(x);
  const zeros = g.op1('Expand', [g.constant(tensor(dtype, [1], [0]), 'zero'), g.constI64([numel(xs)])]);
  const flat = g.constI64([-1]);
  const scat = g.op1('ScatterElements', [zeros, g.op1('Reshape', [idx, flat]), g.op1('Reshape', [dy[0], flat])], { axis: 0, reduction: 'add' });
  return [g.op1('Reshape', [scat, g.constI64(xs)])];
});
