/**
 * Shape inference for pooling, resizing and normalising ops: MaxPool (optional int64 Indices
 * output), AveragePool, GlobalAveragePool, GlobalMaxPool, Resize, Softmax, LogSoftmax, Dropout
 * (output + bool mask), and ScatterElements (used by the MaxPool gradient).
 */
import { attrInt, attrString } from '../graph.js';
import { registerShape, need, ShapeError, type InferContext, type OutInfo } from '../shape-registry.js';
import { shapeStr } from '../tensor.js';
import { normAxis } from './axes.js';
import { poolGeometry, PoolGeometryError } from './pool-geometry.js';
import { resizeGeometry, ResizeGeometryError } from './resize-geometry.js';

function rethrow(ctx: InferContext, e: unknown): never {
  if (e instanceof PoolGeometryError || e instanceof ResizeGeometryError) {
    throw new ShapeError(ctx.node, e.message.replace(/^[^:]*: /, ''));
  }
  throw e;
}

function pooled(ctx: InferContext): number[] {
  const x = need(ctx, 0);
  try {
    const geo = poolGeometry(ctx.node, x.shape);
    return [x.shape[0]!, x.shape[1]!, ...geo.outSize];
  } catch (e) {
    return rethrow(ctx, e);
  }
}

registerShape('MaxPool', (ctx) => {
  const shape = pooled(ctx);
  const out: OutInfo[] = [{ dtype: need(ctx, 0).dtype, shape }];
  if (ctx.node.outputs.length > 1) out.push({ dtype: 'int64', shape });
  return out;
});

registerShape('AveragePool', (ctx) => [{ dtype: need(ctx, 0).dtype, shape: pooled(ctx) }]);

registerShape(['GlobalAveragePool', 'GlobalMaxPool'], (ctx) => {
  const x = need(ctx, 0);
  if (x.shape.length < 3) throw new ShapeError(ctx.node, `input must have rank ≥ 3, got ${shapeStr(x.shape)}`);
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }];
});

registerShape('Resize', (ctx) => {
  const x = need(ctx, 0);
  try {
    const geo = resizeGeometry(ctx.node, x.shape, ctx.constValue(2), ctx.constValue(3),
      { scales: ctx.inputs[2] !== undefined, sizes: ctx.inputs[3] !== undefined });
    return [{ dtype: x.dtype, shape: geo.outSize }];
  } catch (e) {
    return rethrow(ctx, e);
  }
});

registerShape(['Softmax', 'LogSoftmax'], (ctx) => {
  const x = need(ctx, 0);
  const axis = attrInt(ctx.node, 'axis', -1);
  if (normAxis(axis, x.shape.length) === undefined) throw new ShapeError(ctx.node, `axis ${axis} is out of range for rank ${x.shape.length}`);
  return [{ dtype: x.dtype, shape: x.shape }];
});

registerShape('Dropout', (ctx) => {
  const x = need(ctx, 0);
  const ratio = ctx.constValue(1);
  if (ratio !== undefined) {
    const r = Number(ratio.data[0]);
    if (!(r >= 0 && r < 1)) throw new ShapeError(ctx.node, `ratio must lie in [0, 1), got ${r}`);
  }
  if (ctx.inputs[2] !== undefined && ctx.inputs[2].dtype !== 'bool') throw new ShapeError(ctx.node, 'training_mode must be a bool tensor');
  return [{ dtype: x.dtype, shape: x.shape }, { dtype: 'bool', shape: x.shape }];
});

registerShape('ScatterElements', (ctx) => {
  const data = need(ctx, 0);
  const idx = need(ctx, 1);
  const upd = need(ctx, 2);
  const r = data.shape.length;
  if (idx.shape.length !== r || upd.shape.length !== r || idx.shape.some((d, i) => d !== upd.shape[i])) {
    throw new ShapeError(ctx.node, `data ${shapeStr(data.shape)}, indices ${shapeStr(idx.shape)} and updates ${shapeStr(upd.shape)} must have one rank and indices/updates one shape`);
  }
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new ShapeError(ctx.node, 'indices must be int32 or int64');
  if (normAxis(attrInt(ctx.node, 'axis', 0), r) === undefined) throw new ShapeError(ctx.node, `axis ${attrInt(ctx.node, 'axis', 0)} is out of range for rank ${r}`);
  const red = attrString(ctx.node, 'reduction', 'none');
  if (!['none', 'add', 'mul'].includes(red)) throw new ShapeError(ctx.node, `reduction '${red}' is not in opset 17 (none, add, mul)`);
  return [{ dtype: data.dtype, shape: data.shape }];
});
