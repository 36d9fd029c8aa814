/**
 * Small builders shared by the element-wise, reduction and shape gradient rules: typed scalar
 * constants, runtime zeros, and the axes/kept shape of a reduction node.
 */
import type { GraphBuilder } from '../ir/builder.js';
import { attrInt, attrInts, type Node } from '../ir/graph.js';
import { ONNX_DTYPE, tensor, toNumbers, type DType, type Shape } from '../ir/tensor.js';

/** A scalar constant of the given dtype. */
export function scalar(g: GraphBuilder, dtype: DType, v: number): string {
  return g.constant(tensor(dtype, [], [v]), 'c');
}

/** A scalar constant with the element type of value `like`. */
export function scalarLike(g: GraphBuilder, like: string, v: number): string {
  return scalar(g, g.dtype(like), v);
}

/** Zeros of a static shape, made at run time by ConstantOfShape (no large initializer). */
export function zeros(g: GraphBuilder, shape: Shape, dtype: DType): string {
  return g.op1('ConstantOfShape', [g.constI64([...shape])], { value: tensor(dtype, [1], [0]) });
}

/** Reshape only when the shapes differ. */
export function reshapeTo(g: GraphBuilder, x: string, shape: Shape): string {
  const s = g.shape(x);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return x;
  return g.op1('Reshape', [x, g.constI64([...shape])]);
}

/** A Cast to dtype when the value has another type. */
export function castTo(g: GraphBuilder, x: string, dtype: DType): string {
  return g.dtype(x) === dtype ? x : g.op1('Cast', [x], { to: ONNX_DTYPE[dtype] });
}

export interface ReduceInfo {
  /** Normalised reduced axes, ascending. */
  axes: number[];
  /** The input shape with reduced axes set to 1 (the keepdims output shape). */
  kept: number[];
  /** Number of input elements reduced into each output element. */
  count: number;
}

/**
 * Axes of a Reduce* node: attribute `axes` (opset 17) or constant input 1 (ReduceSum, opset 18);
 * none given means every axis unless noop_with_empty_axes is set.
 */
export function reduceInfo(g: GraphBuilder, node: Node): ReduceInfo {
  const xs = g.shape(node.inputs[0]!);
  const r = xs.length;
  let axes: number[] | undefined;
  if (node.inputs[1]) {
    const t = g.constValue(node.inputs[1]);
    if (t === undefined) throw new Error(`${node.op} '${node.name}': axes input is not a constant`);
    axes = toNumbers(t);
  } else axes = attrInts(node, 'axes', undefined);
  if (axes === undefined || axes.length === 0) axes = attrInt(node, 'noop_with_empty_axes', 0) === 1 ? [] : xs.map((_, i) => i);
  const norm = [...new Set(axes.map((a) => (a < 0 ? a + r : a)))].sort((a, b) => a - b);
  const kept = xs.map((d, i) => (norm.includes(i) ? 1 : d));
  const count = norm.reduce((acc, a) => acc * xs[a]!, 1);
  return { axes: norm, kept, count };
}

/** dY of a reduction, reshaped to the keepdims shape (broadcastable against X). */
export function keptGrad(g: GraphBuilder, dy: string, info: ReduceInfo): string {
  return reshapeTo(g, dy, info.kept);
}
