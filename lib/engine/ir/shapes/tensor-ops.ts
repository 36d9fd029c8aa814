/** Shape inference for shape-manipulating ops (Reshape, Transpose, Concat, Slice, ...). */
import { registerShape, need, needConst, ShapeError } from '../shape-registry.js';
import { numel, toNumbers } from '../tensor.js';
import { broadcastShapes } from './broadcast.js';

registerShape('Reshape', (ctx) => {
  const x = need(ctx, 0);
  const spec = toNumbers(needConst(ctx, 1, 'shape'));
  const out = spec.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1) throw new ShapeError(ctx.node, 'more than one -1 in the target shape');
  const total = numel(x.shape);
  if (minus === 1) {
    if (known === 0 || total % known !== 0) throw new ShapeError(ctx.node, `cannot reshape [${x.shape.join(',')}] to [${spec.join(',')}]`);
    out[out.indexOf(-1)] = total / known;
  } else if (known !== total) throw new ShapeError(ctx.node, `cannot reshape [${x.shape.join(',')}] (${total} elements) to [${out.join(',')}]`);
  return [{ dtype: x.dtype, shape: out }];
});

registerShape('Expand', (ctx) => {
  const x = need(ctx, 0);
  const target = toNumbers(needConst(ctx, 1, 'shape'));
  const out = broadcastShapes([x.shape, target]);
  if (out === undefined) throw new ShapeError(ctx.node, `cannot expand [${x.shape.join(',')}] to [${target.join(',')}]`);
  return [{ dtype: x.dtype, shape: out }];
});
