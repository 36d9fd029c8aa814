/** Shape inference for reductions (opset 17: ReduceSum takes axes as an input, the others as an attribute). */
import { attrInt, attrInts } from '../graph.js';
import { registerShape, need, needConst, ShapeError, type InferContext } from '../shape-registry.js';
import { toNumbers } from '../tensor.js';

function reduced(ctx: InferContext, axesIn: number[] | undefined): number[] {
  const x = need(ctx, 0);
  const r = x.shape.length;
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const noopEmpty = attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1;
  if (axesIn === undefined || axesIn.length === 0) {
    if (noopEmpty) return [...x.shape];
    return keep ? x.shape.map(() => 1) : [];
  }
  const axes = new Set(axesIn.map((a) => {
    const n = a < 0 ? a + r : a;
    if (n < 0 || n >= r) throw new ShapeError(ctx.node, `axis ${a} is out of range for rank ${r}`);
    return n;
  }));
  const out: number[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

registerShape('ReduceSum', (ctx) => {
  const axes = ctx.inputs[1] === undefined ? undefined : toNumbers(needConst(ctx, 1, 'axes'));
  return [{ dtype: need(ctx, 0).dtype, shape: reduced(ctx, axes) }];
});

// Opset 17 gives these axes as an attribute; opset 18 as an optional input (accepted too, constant).
registerShape(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceL2', 'ReduceProd', 'ReduceLogSumExp', 'ReduceSumSquare', 'ReduceL1'], (ctx) => {
  const axes = ctx.inputs[1] !== undefined ? toNumbers(needConst(ctx, 1, 'axes')) : attrInts(ctx.node, 'axes', undefined);
  return [{ dtype: need(ctx, 0).dtype, shape: reduced(ctx, axes) }];
});

registerShape(['ArgMax', 'ArgMin'], (ctx) => {
  const x = need(ctx, 0);
  const r = x.shape.length;
  let axis = attrInt(ctx.node, 'axis', 0);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) throw new ShapeError(ctx.node, `axis ${attrInt(ctx.node, 'axis', 0)} is out of range for rank ${r}`);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const shape = x.shape.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d]));
  return [{ dtype: 'int64', shape }];
});
