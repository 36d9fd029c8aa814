/**
 * Small emit helpers shared by the linear-layer gradient rules (Conv, Gemm, MatMul,
 * BatchNormalization, Pad): reshape, transpose, slice, flip, scalar constants of a given dtype.
 * Each emits at most one node and skips it when it would be the identity.
 */
import type { GraphBuilder } from '../../ir/builder.js';
import type { Node } from '../../ir/graph.js';
import { sameShape, tensor, type Shape } from '../../ir/tensor.js';

export function reshape(g: GraphBuilder, x: string, shape: Shape): string {
  return sameShape(g.shape(x), shape) ? x : g.op1('Reshape', [x, g.constI64([...shape])]);
}

export function transpose(g: GraphBuilder, x: string, perm: readonly number[]): string {
  return perm.every((p, i) => p === i) ? x : g.op1('Transpose', [x], { perm: [...perm] });
}

/** Slice on the given axes (steps default 1). */
export function slice(g: GraphBuilder, x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
  const ins = [x, g.constI64(starts), g.constI64(ends), g.constI64(axes)];
  if (steps !== undefined && steps.some((s) => s !== 1)) ins.push(g.constI64(steps));
  return g.op1('Slice', ins);
}

/** Reverses x along the given axes (Slice with step −1). */
export function flip(g: GraphBuilder, x: string, axes: number[]): string {
  const s = g.shape(x);
  const ax = axes.filter((a) => s[a]! > 1);
  if (ax.length === 0) return x;
  return slice(g, x, ax.map(() => -1), ax.map((a) => -(s[a]! + 1)), ax, ax.map(() => -1));
}

/** A scalar constant with the dtype of x. */
export function scalarLike(g: GraphBuilder, x: string, v: number): string {
  return g.constant(tensor(g.dtype(x), [], [v]), 'c');
}

/** Multiplies by a scalar, skipping the node when the factor is 1. */
export function scale(g: GraphBuilder, x: string, v: number): string {
  return v === 1 ? x : g.op1('Mul', [x, scalarLike(g, x, v)]);
}

/** Error for attribute values a gradient rule does not support; names op and node. */
export class UnsupportedGradError extends Error {
  constructor(node: Node, msg: string) {
    super(`gradient of ${node.op} node '${node.name}': ${msg}`);
    this.name = 'UnsupportedGradError';
  }
}
