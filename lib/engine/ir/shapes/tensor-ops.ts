/**
 * Shape inference for shape-manipulating ops: Reshape, Expand, Concat, Split, Slice, Flatten,
 * Transpose, Squeeze, Unsqueeze, Tile (opset 17: shape/axes/split/starts… are inputs and must be
 * build-time constants).
 */
import { attrInt, attrInts } from '../graph.js';
import { registerShape, need, needConst, ShapeError, type InferContext } from '../shape-registry.js';
import { numel, shapeStr, toNumbers } from '../tensor.js';
import { normAxis, resolveSlice } from './axes.js';
import { broadcastShapes } from './broadcast.js';

/** Normalised axis or a ShapeError naming the node. */
function axisOf(ctx: InferContext, axis: number, rank: number): number {
  const a = normAxis(axis, rank);
  if (a === undefined) throw new ShapeError(ctx.node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Constant int input i, or undefined when the optional input is omitted. */
function optInts(ctx: InferContext, i: number, what: string): number[] | undefined {
  return ctx.inputs[i] === undefined ? undefined : toNumbers(needConst(ctx, i, what));
}

registerShape('Reshape', (ctx) => {
  const x = need(ctx, 0);
  const spec = toNumbers(needConst(ctx, 1, 'shape'));
  const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
  const out = spec.map((d, i) => {
    if (d !== 0 || allowZero) return d;
    if (i >= x.shape.length) throw new ShapeError(ctx.node, `target dim ${i} is 0 (copy) but the input has rank ${x.shape.length}`);
    return x.shape[i]!;
  });
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1) throw new ShapeError(ctx.node, 'more than one -1 in the target shape');
  if (out.some((d) => d < -1)) throw new ShapeError(ctx.node, `invalid target shape [${spec.join(',')}]`);
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

registerShape('Concat', (ctx) => {
  const ins = ctx.inputs.map((_, i) => need(ctx, i));
  if (ins.length === 0) throw new ShapeError(ctx.node, 'no inputs');
  const r = ins[0]!.shape.length;
  if (ctx.node.attrs['axis'] === undefined) throw new ShapeError(ctx.node, 'attribute axis is required');
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), r);
  const out = [...ins[0]!.shape];
  out[axis] = 0;
  for (const v of ins) {
    if (v.shape.length !== r || v.shape.some((d, i) => i !== axis && d !== out[i])) {
      throw new ShapeError(ctx.node, `inputs ${ins.map((s) => shapeStr(s.shape)).join(', ')} cannot be concatenated on axis ${axis}`);
    }
    out[axis] += v.shape[axis]!;
  }
  return [{ dtype: ins[0]!.dtype, shape: out }];
});

/** Sizes of the outputs of Split (opset 13 `split` input, or equal parts; opset 18 `num_outputs`). */
export function splitSizes(ctx: InferContext): number[] {
  const x = need(ctx, 0);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), x.shape.length);
  const d = x.shape[axis]!;
  const n = ctx.node.outputs.length;
  const given = optInts(ctx, 1, 'split');
  if (given !== undefined) {
    if (given.length !== n || given.reduce((a, b) => a + b, 0) !== d || given.some((s) => s < 0)) {
      throw new ShapeError(ctx.node, `split [${given.join(',')}] does not cut dim ${d} into ${n} outputs`);
    }
    return given;
  }
  const numOut = attrInt(ctx.node, 'num_outputs', 0);
  if (numOut > 0) {
    if (numOut !== n) throw new ShapeError(ctx.node, `num_outputs ${numOut} but ${n} outputs`);
    const chunk = Math.ceil(d / n);
    return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
  }
  if (d % n !== 0) throw new ShapeError(ctx.node, `dim ${d} on axis ${axis} does not split into ${n} equal parts`);
  return new Array<number>(n).fill(d / n);
}

registerShape('Split', (ctx) => {
  const x = need(ctx, 0);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), x.shape.length);
  return splitSizes(ctx).map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
});

registerShape('Slice', (ctx) => {
  const x = need(ctx, 0);
  const res = resolveSlice(x.shape, toNumbers(needConst(ctx, 1, 'starts')), toNumbers(needConst(ctx, 2, 'ends')),
    optInts(ctx, 3, 'axes'), optInts(ctx, 4, 'steps'));
  if (typeof res === 'string') throw new ShapeError(ctx.node, res);
  return [{ dtype: x.dtype, shape: res.map((s) => s.count) }];
});

registerShape('Flatten', (ctx) => {
  const x = need(ctx, 0);
  const r = x.shape.length;
  let axis = attrInt(ctx.node, 'axis', 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) throw new ShapeError(ctx.node, `axis ${attrInt(ctx.node, 'axis', 1)} is out of range for rank ${r}`);
  return [{ dtype: x.dtype, shape: [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))] }];
});

/** The permutation of a Transpose node (default: reversed axes). */
export function transposePerm(perm: readonly number[] | undefined, rank: number): number[] {
  return perm ? perm.map((p) => (p < 0 ? p + rank : p)) : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

registerShape('Transpose', (ctx) => {
  const x = need(ctx, 0);
  const r = x.shape.length;
  const perm = transposePerm(attrInts(ctx.node, 'perm', undefined), r);
  if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) {
    throw new ShapeError(ctx.node, `perm [${perm.join(',')}] is not a permutation of rank ${r}`);
  }
  return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
});

registerShape('Squeeze', (ctx) => {
  const x = need(ctx, 0);
  const r = x.shape.length;
  const axesIn = optInts(ctx, 1, 'axes') ?? attrInts(ctx.node, 'axes', undefined);
  if (axesIn === undefined) return [{ dtype: x.dtype, shape: x.shape.filter((d) => d !== 1) }];
  const axes = new Set(axesIn.map((a) => axisOf(ctx, a, r)));
  for (const a of axes) if (x.shape[a] !== 1) throw new ShapeError(ctx.node, `cannot squeeze axis ${a} of size ${x.shape[a]} in ${shapeStr(x.shape)}`);
  return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.has(i)) }];
});

registerShape('Unsqueeze', (ctx) => {
  const x = need(ctx, 0);
  const axesIn = optInts(ctx, 1, 'axes') ?? attrInts(ctx.node, 'axes', undefined);
  if (axesIn === undefined) throw new ShapeError(ctx.node, 'input axes is required');
  const r = x.shape.length + axesIn.length;
  const axes = new Set(axesIn.map((a) => axisOf(ctx, a, r)));
  if (axes.size !== axesIn.length) throw new ShapeError(ctx.node, `axes [${axesIn.join(',')}] repeat an axis`);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(axes.has(i) ? 1 : x.shape[k++]!);
  return [{ dtype: x.dtype, shape: out }];
});

registerShape('Tile', (ctx) => {
  const x = need(ctx, 0);
  const reps = toNumbers(needConst(ctx, 1, 'repeats'));
  if (reps.length !== x.shape.length || reps.some((v) => v < 0)) throw new ShapeError(ctx.node, `repeats [${reps.join(',')}] do not fit ${shapeStr(x.shape)}`);
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * reps[i]!) }];
});
