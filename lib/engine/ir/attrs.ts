/** Conversion of plain JS attribute values into tagged ONNX attributes. */
import type { Attr } from './graph.js';
import type { TensorData } from './tensor.js';

/** Attribute names whose ONNX type is FLOAT even when given an integral JS number. */
const FLOAT_ATTRS = new Set([
  'alpha', 'beta', 'gamma', 'epsilon', 'momentum', 'extrapolation_value', 'cubic_coeff_a',
  'bias', 'lambd', 'spatial_scale', 'ratio', 'seed', 'mean', 'scale', 'value_float', 'value_floats', 'min', 'max',
]);

export type AttrInput = number | readonly number[] | string | readonly string[] | TensorData | Attr;

function isAttr(v: unknown): v is Attr {
  return typeof v === 'object' && v !== null && 'kind' in v && 'value' in v;
}

function isTensor(v: unknown): v is TensorData {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'data' in v && 'shape' in v;
}

export function toAttr(name: string, v: AttrInput): Attr {
  if (isAttr(v)) return v;
  if (isTensor(v)) return { kind: 'tensor', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') {
    return FLOAT_ATTRS.has(name) || !Number.isInteger(v) ? { kind: 'float', value: v } : { kind: 'int', value: v };
  }
  if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'string') return { kind: 'strings', value: v as string[] };
  const nums = v as readonly number[];
  if (FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x)) || name === 'scales') return { kind: 'floats', value: [...nums] };
  return { kind: 'ints', value: [...nums] };
}

export const floatAttr = (value: number): Attr => ({ kind: 'float', value });
export const floatsAttr = (value: readonly number[]): Attr => ({ kind: 'floats', value });
export const intsAttr = (value: readonly number[]): Attr => ({ kind: 'ints', value });
