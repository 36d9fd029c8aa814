/**
 * Array kernels of build-time constant folding (lib/engine/ir/fold.ts): broadcasting index maps,
 * gathers of elements by flat index, element conversion between dtypes. int64 stays BigInt.
 */
import { allocate, numel, strides, type DType, type Shape, type TensorData, type TypedArray } from './tensor.js';

export type Elem = number | bigint;

/** Flat input index for every flat output index, numpy broadcasting `from` up to `to`. */
export function broadcastMap(from: Shape, to: Shape): Int32Array {
  const n = numel(to);
  const map = new Int32Array(n);
  const lead = to.length - from.length;
  const fs = strides(from);
  const ts = strides(to);
  for (let o = 0; o < n; o++) {
    let rem = o;
    let src = 0;
    for (let a = 0; a < to.length; a++) {
      const i = Math.floor(rem / ts[a]!);
      rem -= i * ts[a]!;
      if (a >= lead && from[a - lead] !== 1) src += i * fs[a - lead]!;
    }
    map[o] = src;
  }
  return map;
}

/** A tensor of `dtype`/`shape` whose element o is t.data[map[o]] (same dtype as t). */
export function take(t: TensorData, map: ArrayLike<number>, shape: Shape): TensorData {
  const out = allocate(t.dtype, map.length);
  const src = t.data as unknown as Elem[];
  const dst = out as unknown as Elem[];
  for (let o = 0; o < map.length; o++) dst[o] = src[map[o]!]!;
  return { dtype: t.dtype, shape: [...shape], data: out };
}

/** Element i of a tensor, as a JS number or BigInt (int64). */
export function elemAt(t: TensorData, i: number): Elem {
  return (t.data as unknown as Elem[])[i]!;
}

/** Converts one element to the representation of dtype, with ONNX Cast semantics; undefined if impossible. */
export function convert(v: Elem, to: DType): Elem | undefined {
  if (to === 'int64') {
    if (typeof v === 'bigint') return v;
    if (!Number.isFinite(v)) return undefined;
    return BigInt.asIntN(64, BigInt(Math.trunc(v)));
  }
  const num = typeof v === 'bigint' ? Number(v) : v;
  switch (to) {
    case 'float32': case 'float64': return num;
    case 'int32': return typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : Number.isFinite(num) ? Math.trunc(num) | 0 : undefined;
    case 'uint8': return Number.isFinite(num) ? Math.trunc(num) & 255 : undefined;
    case 'bool': return num !== 0 ? 1 : 0;
  }
}

/** A tensor built element by element; returns undefined when some element is undefined. */
export function build(dtype: DType, shape: Shape, f: (o: number) => Elem | undefined): TensorData | undefined {
  const n = numel(shape);
  const data: TypedArray = allocate(dtype, n);
  const dst = data as unknown as Elem[];
  for (let o = 0; o < n; o++) {
    const v = f(o);
    if (v === undefined) return undefined;
    dst[o] = dtype === 'int64' ? (typeof v === 'bigint' ? v : BigInt(v)) : Number(v);
  }
  return { dtype, shape: [...shape], data };
}

/** Flat input index of every output element of a strided box (Slice): per axis start + k·step. */
export function boxMap(inShape: Shape, starts: readonly number[], steps: readonly number[], outShape: Shape): Int32Array {
  const n = numel(outShape);
  const map = new Int32Array(n);
  const is = strides(inShape);
  const os = strides(outShape);
  for (let o = 0; o < n; o++) {
    let rem = o;
    let src = 0;
    for (let a = 0; a < outShape.length; a++) {
      const k = Math.floor(rem / os[a]!);
      rem -= k * os[a]!;
      src += (starts[a]! + k * steps[a]!) * is[a]!;
    }
    map[o] = src;
  }
  return map;
}
