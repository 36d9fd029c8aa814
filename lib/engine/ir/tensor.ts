/**
 * Tensors held by the graph IR: constant values (initializers, folded constants) and
 * runtime feeds/fetches. Shapes are static: every dimension is a known non-negative integer.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export type Shape = readonly number[];

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorData {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: TypedArray;
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11,
};

export const DTYPE_FROM_ONNX: Record<number, DType> = Object.fromEntries(
  Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]),
) as Record<number, DType>;

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}

export function tensor(dtype: DType, shape: Shape, values?: ArrayLike<number> | TypedArray): TensorData {
  const n = numel(shape);
  let data: TypedArray;
  if (values === undefined) data = allocate(dtype, n);
  else if (dtype === 'int64') {
    data = values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)));
  } else if (isTyped(values) && typedDType(values) === dtype) data = values;
  else {
    data = allocate(dtype, n);
    (data as Float32Array).set(Array.from(values as ArrayLike<number>, Number));
  }
  if (data.length !== n) throw new Error(`tensor: ${data.length} values for shape [${shape.join(',')}] (${n} expected)`);
  return { dtype, shape: [...shape], data };
}

export const f32 = (shape: Shape, values?: ArrayLike<number>) => tensor('float32', shape, values);
export const i64 = (values: readonly number[], shape: Shape = [values.length]) => tensor('int64', shape, values);
export const scalarF32 = (v: number) => tensor('float32', [], [v]);

function isTyped(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v);
}

export function typedDType(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Values of an integer tensor as JS numbers (int64 converted; safe for shapes and indices). */
export function toNumbers(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export function shapeStr(s: Shape): string {
  return `[${s.join(',')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides of a shape. */
export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}
