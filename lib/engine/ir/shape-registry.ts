/**
 * Static shape inference, one function per op type, registered. The builder calls it for every
 * node it adds, so every value in a graph has a known dtype and shape; an op with no entry, or a
 * shape that cannot be resolved statically, is an error naming the op and the node.
 */
import type { Node, ValueInfo } from './graph.js';
import type { DType, Shape, TensorData } from './tensor.js';

export interface InferContext {
  readonly node: Node;
  /** Infos of the node's inputs; undefined where an optional input is omitted (''). */
  readonly inputs: readonly (ValueInfo | undefined)[];
  /** The constant value of input i when it is known at build time (initializer or folded). */
  constValue(i: number): TensorData | undefined;
}

export interface OutInfo { dtype: DType; shape: Shape }
export type InferFn = (ctx: InferContext) => OutInfo[];

const registry = new Map<string, InferFn>();

export function registerShape(op: string | readonly string[], fn: InferFn): void {
  for (const o of typeof op === 'string' ? [op] : op) registry.set(o, fn);
}

export function shapeFn(op: string): InferFn | undefined {
  return registry.get(op);
}

export function registeredShapeOps(): string[] {
  return [...registry.keys()].sort();
}

/** Thrown when a shape cannot be determined statically; names op and node. */
export class ShapeError extends Error {
  constructor(node: Node, msg: string) {
    super(`shape inference failed at ${node.op} node '${node.name}': ${msg}`);
    this.name = 'ShapeError';
  }
}

/** Input i of a node, or a ShapeError when it is missing. */
export function need(ctx: InferContext, i: number): ValueInfo {
  const v = ctx.inputs[i];
  if (v === undefined) throw new ShapeError(ctx.node, `input ${i} is required`);
  return v;
}

/** The constant value of input i, or a ShapeError saying why the shape is not static. */
export function needConst(ctx: InferContext, i: number, what: string): TensorData {
  const v = ctx.constValue(i);
  if (v === undefined) {
    throw new ShapeError(ctx.node, `${what} (input ${i} '${ctx.node.inputs[i]}') is not a constant, so the output shape cannot be resolved statically`);
  }
  return v;
}
