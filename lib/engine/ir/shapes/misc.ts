/**
 * Shape inference for indexing, generator and type ops: Gather, GatherElements, ScatterND,
 * Shape, Size, Cast, Constant, ConstantOfShape, Range, OneHot, CumSum, TopK, and NonZero
 * (data-dependent: always an error under static shapes).
 */
import { attrInt, type Node } from '../graph.js';
import { registerShape, need, needConst, ShapeError, type InferContext } from '../shape-registry.js';
import { DTYPE_FROM_ONNX, shapeStr, tensor, toNumbers, type DType, type TensorData } from '../tensor.js';
import { normAxis } from './axes.js';

function axisOf(ctx: InferContext, axis: number, rank: number): number {
  const a = normAxis(axis, rank);
  if (a === undefined) throw new ShapeError(ctx.node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

registerShape('Gather', (ctx) => {
  const x = need(ctx, 0);
  const idx = need(ctx, 1);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), x.shape.length);
  return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
});

registerShape('GatherElements', (ctx) => {
  const x = need(ctx, 0);
  const idx = need(ctx, 1);
  if (idx.shape.length !== x.shape.length) throw new ShapeError(ctx.node, `indices ${shapeStr(idx.shape)} and data ${shapeStr(x.shape)} differ in rank`);
  axisOf(ctx, attrInt(ctx.node, 'axis', 0), x.shape.length);
  return [{ dtype: x.dtype, shape: [...idx.shape] }];
});

registerShape('ScatterND', (ctx) => {
  const x = need(ctx, 0);
  const idx = need(ctx, 1);
  const upd = need(ctx, 2);
  const q = idx.shape.length;
  const k = idx.shape[q - 1];
  if (q < 1 || k === undefined || k > x.shape.length) throw new ShapeError(ctx.node, `indices ${shapeStr(idx.shape)} do not index data ${shapeStr(x.shape)}`);
  const want = [...idx.shape.slice(0, q - 1), ...x.shape.slice(k)];
  if (want.length !== upd.shape.length || want.some((d, i) => d !== upd.shape[i])) {
    throw new ShapeError(ctx.node, `updates ${shapeStr(upd.shape)} should have shape ${shapeStr(want)}`);
  }
  return [{ dtype: x.dtype, shape: [...x.shape] }];
});

/** The [start, end) range of dims that Shape (opset 15+) returns, clamped as the spec says. */
export function shapeRange(node: Node, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const s = clamp(attrInt(node, 'start', 0));
  const e = node.attrs['end'] === undefined ? rank : clamp(attrInt(node, 'end', rank));
  return [s, Math.max(s, e)];
}

registerShape('Shape', (ctx) => {
  const [s, e] = shapeRange(ctx.node, need(ctx, 0).shape.length);
  return [{ dtype: 'int64', shape: [e - s] }];
});

registerShape('Size', (ctx) => {
  need(ctx, 0);
  return [{ dtype: 'int64', shape: [] }];
});

/** The engine dtype of an ONNX data-type code, or a ShapeError for types the engine lacks. */
export function dtypeOfCode(node: Node, code: number): DType {
  const d = DTYPE_FROM_ONNX[code];
  if (d === undefined) throw new ShapeError(node, `ONNX data type ${code} is not supported by the engine`);
  return d;
}

registerShape('Cast', (ctx) => {
  const x = need(ctx, 0);
  if (ctx.node.attrs['to'] === undefined) throw new ShapeError(ctx.node, 'attribute to is required');
  return [{ dtype: dtypeOfCode(ctx.node, attrInt(ctx.node, 'to', 1)), shape: [...x.shape] }];
});

/**
 * The value of a Constant node (value, value_float(s), value_int(s)); undefined for other kinds or
 * for an attribute of the wrong type (e.g. value_floats written as INTS).
 */
export function constantNodeValue(node: Node): TensorData | undefined {
  const a = node.attrs;
  const v = a['value'];
  if (v?.kind === 'tensor') return v.value;
  const f = a['value_float'];
  if (f?.kind === 'float') return tensor('float32', [], [f.value]);
  const fs = a['value_floats'];
  if (fs?.kind === 'floats') return tensor('float32', [fs.value.length], fs.value);
  const i = a['value_int'];
  if (i?.kind === 'int') return tensor('int64', [], [i.value]);
  const is = a['value_ints'];
  if (is?.kind === 'ints') return tensor('int64', [is.value.length], is.value);
  return undefined;
}

registerShape('Constant', (ctx) => {
  const v = constantNodeValue(ctx.node);
  if (v === undefined) throw new ShapeError(ctx.node, `unsupported value attribute (${Object.keys(ctx.node.attrs).join(', ') || 'none'})`);
  return [{ dtype: v.dtype, shape: [...v.shape] }];
});

/** The fill value of ConstantOfShape (default float32 0). */
export function constantOfShapeValue(node: Node): TensorData {
  const v = node.attrs['value'];
  if (v === undefined) return tensor('float32', [1], [0]);
  if (v.kind !== 'tensor' || v.value.data.length !== 1) throw new ShapeError(node, 'attribute value must be a one-element tensor');
  return v.value;
}

registerShape('ConstantOfShape', (ctx) => {
  const shape = toNumbers(needConst(ctx, 0, 'shape'));
  if (shape.some((d) => d < 0)) throw new ShapeError(ctx.node, `negative dim in [${shape.join(',')}]`);
  return [{ dtype: constantOfShapeValue(ctx.node).dtype, shape }];
});

/** Number of Range elements: max(ceil((limit − start)/delta), 0). */
export function rangeCount(start: number, limit: number, delta: number): number {
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

registerShape('Range', (ctx) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => toNumbers(needConst(ctx, i, ['start', 'limit', 'delta'][i]!))[0]!);
  if (delta === 0) throw new ShapeError(ctx.node, 'delta is 0');
  return [{ dtype: need(ctx, 0).dtype, shape: [rangeCount(start!, limit!, delta!)] }];
});

registerShape('OneHot', (ctx) => {
  const idx = need(ctx, 0);
  const depth = toNumbers(needConst(ctx, 1, 'depth'))[0]!;
  const values = need(ctx, 2);
  const r = idx.shape.length + 1;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), r);
  const out = [...idx.shape];
  out.splice(axis, 0, Math.trunc(depth));
  return [{ dtype: values.dtype, shape: out }];
});

registerShape('CumSum', (ctx) => {
  const x = need(ctx, 0);
  need(ctx, 1);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
});

registerShape('TopK', (ctx) => {
  const x = need(ctx, 0);
  const k = toNumbers(needConst(ctx, 1, 'K'))[0]!;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), x.shape.length);
  if (k < 0 || k > x.shape[axis]!) throw new ShapeError(ctx.node, `K=${k} exceeds dim ${x.shape[axis]} of axis ${axis}`);
  const shape = x.shape.map((d, i) => (i === axis ? k : d));
  return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape: [...shape] }];
});

registerShape('NonZero', (ctx) => {
  throw new ShapeError(ctx.node, 'the output shape of NonZero depends on the data, so it cannot be resolved statically');
});
