/**
 * The graph IR: a list of ONNX nodes in topological order, the value infos of every tensor
 * (static dtype and shape), graph inputs/outputs and initializers.
 */
import type { DType, Shape, TensorData } from './tensor.js';

/** An attribute value, tagged with its ONNX AttributeProto type. */
export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: TensorData };

export interface Node {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];   // '' marks an omitted optional input
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
  readonly domain?: string;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, TensorData>;
  /** dtype/shape of every value: inputs, initializers and every node output. */
  values: Map<string, ValueInfo>;
}

export const OPSET = 17;
export const IR_VERSION = 8;

/** Attribute readers with defaults, used by shape inference and gradient rules. */
export function attrInt(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  if (a === undefined) return dflt;
  if (a.kind !== 'int') throw new Error(`${node.op} '${node.name}': attribute ${name} must be an int`);
  return a.value;
}

export function attrFloat(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  if (a === undefined) return dflt;
  if (a.kind !== 'float' && a.kind !== 'int') throw new Error(`${node.op} '${node.name}': attribute ${name} must be a float`);
  return a.value;
}

export function attrInts(node: Node, name: string, dflt: readonly number[] | undefined): number[] | undefined {
  const a = node.attrs[name];
  if (a === undefined) return dflt === undefined ? undefined : [...dflt];
  if (a.kind !== 'ints') throw new Error(`${node.op} '${node.name}': attribute ${name} must be ints`);
  return [...a.value];
}

export function attrString(node: Node, name: string, dflt: string): string {
  const a = node.attrs[name];
  if (a === undefined) return dflt;
  if (a.kind !== 'string') throw new Error(`${node.op} '${node.name}': attribute ${name} must be a string`);
  return a.value;
}
