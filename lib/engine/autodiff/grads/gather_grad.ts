/**
 * Gather(data, indices, axis): dData adds each slice of dY into the row it was read from, so
 * repeated indices accumulate. With data [P…, n, Q…] and K = numel(indices): dY → [P, K, Q],
 * transposed to [K, P, Q] when P > 1, ScatterND(zeros[n, P, Q], indices [K, 1], ·, reduction
 * add), transposed back and reshaped to shape(data). Negative indices are wrapped (at build time
 * for constant indices). The indices have no gradient.
 */
import { attrInt } from '../../ir/graph.js';
import { numel, tensor, toNumbers } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';
import { reshapeTo, scalar, zeros } from '../ew-grad-util.js';

registerGrad('Gather', ({ g, node, dy }) => {
  const [x, idx] = node.inputs as [string, string];
  const xs = g.shape(x);
  const axis = (attrInt(node, 'axis', 0) + xs.length) % xs.length;
  const n = xs[axis]!;
  const P = numel(xs.slice(0, axis));
  const Q = numel(xs.slice(axis + 1));
  const K = numel(g.shape(idx));
  let ind: string;
  const iv = g.constValue(idx);
  if (iv !== undefined) {
    ind = g.constant(tensor('int64', [K, 1], toNumbers(iv).map((v) => (v < 0 ? v + n : v))), 'gather_idx');
  } else {
    const flat = reshapeTo(g, g.dtype(idx) === 'int64' ? idx : g.op1('Cast', [idx], { to: 7 }), [K, 1]);
    const wrapped = g.op1('Add', [flat, scalar(g, 'int64', n)]);
    ind = g.op1('Where', [g.op1('Less', [flat, scalar(g, 'int64', 0)]), wrapped, flat]);
  }
  let upd = reshapeTo(g, dy[0]!, [P, K, Q]);
  if (P > 1) upd = g.op1('Transpose', [upd], { perm: [1, 0, 2] });
  else upd = reshapeTo(g, upd, [K, 1, Q]);
  let dx = g.op1('ScatterND', [zeros(g, [n, P, Q], g.dtype(x)), ind, upd], { reduction: 'add' });
  if (P > 1) dx = g.op1('Transpose', [dx], { perm: [1, 0, 2] });
  return [reshapeTo(g, dx, xs), undefined];
});
