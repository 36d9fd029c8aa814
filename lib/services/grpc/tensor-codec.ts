/**
 * Tensor codec: TensorData (lib/engine/ir/tensor.ts) ⇄ the sfda.v1.Tensor message, and
 * quantised float maps.
 *
 * Wire format: little-endian, row-major bytes; dtype FLOAT32 | UINT8 | UINT16 | INT64; `shape`
 * non-negative integers; `data` exactly numel·itemsize bytes. decodeTensor validates all of
 * that and throws TensorDecodeError (an InvalidArgument → INVALID_ARGUMENT) whose message names
 * the field, e.g. "images: 1000 bytes but shape [2,3,4,4] float32 needs 384". It always COPIES
 * the bytes into a fresh, aligned ArrayBuffer: proto-loader hands `bytes` out as Buffer views at
 * arbitrary offsets, on which `new Float32Array(buf.buffer, buf.byteOffset)` throws or aliases.
 * encodeTensor copies too, so the message never aliases memory the caller may reuse.
 *
 * Quantised float maps (reliabilities, confidences in [0, 1]): dtype UINT8/UINT16 with
 * scale = 1/255 or 1/65535 and offset 0, stored = round(value / scale) after clamping to [0, 1].
 * decodeTensor turns any UINT8/UINT16 tensor with scale > 0 back into float32
 * (value = stored·scale + offset). Maximum absolute error for values in [0, 1]:
 * scale/2 from rounding plus float32 rounding of the decoded value (≤ 2^-25), i.e.
 * 8 bits: ≤ 1/510 + 2^-25 ≈ 1.961e-3; 16 bits: ≤ 1/131070 + 2^-25 ≈ 7.66e-6 (QUANT_MAX_ERROR).
 * Since `scale` is a proto float (float32), a received scale equal to fround(1/255) or
 * fround(1/65535) is replaced by the exact double 1/255 or 1/65535 before decoding.
 */
import os from 'node:os';
import { numel, shapeStr } from '../../engine/ir/tensor.js';
import type { Shape, TensorData, TypedArray } from '../../engine/ir/tensor.js';
import type { Tensor } from '../../../proto/gen/sfda/v1/Tensor.js';
import { InvalidArgument } from './errors.js';

/** The TensorData dtypes that travel as themselves. */
export type WireDType = 'float32' | 'uint8' | 'int64';

/** A Tensor message as received (output type) or built (input type, Buffer/Uint8Array data). */
export interface TensorMessage {
  dtype?: string | number;
  shape?: readonly number[];
  data?: Uint8Array | string;
  scale?: number | string;
  offset?: number | string;
}

/** A decode failure: INVALID_ARGUMENT naming the field. */
export class TensorDecodeError extends InvalidArgument {}

/** An encode failure (a bug on the sending side, so not INVALID_ARGUMENT: becomes INTERNAL). */
export class TensorEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TensorEncodeError';
  }
}

interface DTypeInfo { proto: string; code: number; itemsize: number }
const WIRE: Record<'float32' | 'uint8' | 'uint16' | 'int64', DTypeInfo> = {
  float32: { proto: 'DTYPE_FLOAT32', code: 1, itemsize: 4 },
  uint8: { proto: 'DTYPE_UINT8', code: 2, itemsize: 1 },
  uint16: { proto: 'DTYPE_UINT16', code: 3, itemsize: 2 },
  int64: { proto: 'DTYPE_INT64', code: 4, itemsize: 8 },
};
type AnyWire = keyof typeof WIRE;

function wireDType(d: string | number | undefined): AnyWire | undefined {
  for (const [k, v] of Object.entries(WIRE) as [AnyWire, DTypeInfo][]) if (d === v.proto || d === v.code) return k;
  return undefined;
}

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('tensor-codec: big-endian hosts are not supported (the wire format is little-endian)');
}

/** Bytes of a typed array, copied into a Buffer of its own. */
function copyBytes(a: ArrayBufferView): Buffer {
  return Buffer.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

const ARRAY_OF: Record<WireDType, new (n: number) => TypedArray> = {
  float32: Float32Array, uint8: Uint8Array, int64: BigInt64Array,
};

/** A TensorData as a Tensor message (float32 | uint8 | int64; the bytes are copied). */
export function encodeTensor(t: TensorData, field = 'tensor'): Tensor {
  assertLittleEndian();
  if (t.dtype !== 'float32' && t.dtype !== 'uint8' && t.dtype !== 'int64') {
    throw new TensorEncodeError(`${field}: dtype ${t.dtype} has no wire form (float32 | uint8 | int64)`);
  }
  checkShape(t.shape, field, (m) => new TensorEncodeError(m));
  const n = numel(t.shape);
  if (!(t.data instanceof ARRAY_OF[t.dtype]) || t.data.length !== n) {
    throw new TensorEncodeError(`${field}: ${t.data.constructor.name}(${t.data.length}) does not hold ${t.dtype} ${shapeStr(t.shape)} (${n} values)`);
  }
  return { dtype: WIRE[t.dtype].proto as Tensor['dtype'], shape: [...t.shape], data: copyBytes(t.data), scale: 0, offset: 0 };
}

function checkShape(shape: readonly unknown[] | undefined, field: string, fail: (m: string) => Error): void {
  if (!Array.isArray(shape)) throw fail(`${field}: shape missing`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw fail(`${field}: shape ${shapeStr(shape as number[])} has a dimension that is not a non-negative integer`);
    }
  }
  if (!Number.isSafeInteger(numel(shape as number[]) * 8)) throw fail(`${field}: shape ${shapeStr(shape as number[])} is too large`);
}

/** What a decoded tensor must look like (null in `shape` = any size). */
export interface TensorExpect {
  dtype?: WireDType | readonly WireDType[];
  rank?: number;
  shape?: readonly (number | null)[];
}

function dataBytes(data: Uint8Array | string | undefined, field: string): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  if (!(data instanceof Uint8Array)) throw new TensorDecodeError(`${field}: data is not bytes`, field);
  return data;
}

function toNumber(v: number | string | undefined): number {
  return v === undefined ? 0 : Number(v);
}

/**
 * A Tensor message as TensorData, validated and copied into aligned memory. UINT8/UINT16 with
 * scale > 0 (a quantised map) decode to float32. Throws TensorDecodeError (INVALID_ARGUMENT).
 */
export function decodeTensor(msg: TensorMessage | null | undefined, field: string, expect: TensorExpect = {}): TensorData {
  assertLittleEndian();
  const fail = (m: string) => new TensorDecodeError(m, field);
  if (msg === null || msg === undefined) throw fail(`${field}: required (missing)`);
  const dtype = wireDType(msg.dtype);
  if (dtype === undefined) throw fail(`${field}: dtype ${String(msg.dtype ?? 'DTYPE_UNSPECIFIED')} is not one of FLOAT32, UINT8, UINT16, INT64`);
  checkShape(msg.shape, field, fail);
  const shape = [...(msg.shape as number[])];
  const n = numel(shape);
  const bytes = dataBytes(msg.data, field);
  const need = n * WIRE[dtype].itemsize;
  if (bytes.byteLength !== need) {
    throw fail(`${field}: ${bytes.byteLength} bytes but shape ${shapeStr(shape)} ${dtype} needs ${need}`);
  }
  const scale = toNumber(msg.scale);
  const offset = toNumber(msg.offset);
  if (!Number.isFinite(scale) || scale < 0 || !Number.isFinite(offset)) throw fail(`${field}: scale ${scale} / offset ${offset} must be finite, scale >= 0`);
  const quantised = scale > 0;
  if (quantised && dtype !== 'uint8' && dtype !== 'uint16') throw fail(`${field}: scale applies to UINT8/UINT16 only, not ${dtype}`);
  if (!quantised && offset !== 0) throw fail(`${field}: offset ${offset} without scale`);
  if (dtype === 'uint16' && !quantised) throw fail(`${field}: UINT16 is only for quantised float maps (scale > 0)`);

  let out: TensorData;
  if (quantised) {
    out = { dtype: 'float32', shape, data: dequantize(bytes, dtype as 'uint8' | 'uint16', scale, offset, n) };
  } else {
    const wd = dtype as WireDType;
    const data = new ARRAY_OF[wd](n);
    new Uint8Array(data.buffer, 0, need).set(bytes);
    out = { dtype: wd, shape, data };
  }
  checkExpect(out, field, expect, fail);
  return out;
}

function checkExpect(t: TensorData, field: string, e: TensorExpect, fail: (m: string) => Error): void {
  const dtypes = e.dtype === undefined ? undefined : typeof e.dtype === 'string' ? [e.dtype] : e.dtype;
  if (dtypes && !dtypes.includes(t.dtype as WireDType)) throw fail(`${field}: dtype ${t.dtype}, expected ${dtypes.join(' | ')}`);
  const rank = e.rank ?? e.shape?.length;
  if (rank !== undefined && t.shape.length !== rank) throw fail(`${field}: shape ${shapeStr(t.shape)} has rank ${t.shape.length}, expected ${rank}`);
  if (e.shape && e.shape.some((d, i) => d !== null && d !== t.shape[i])) {
    throw fail(`${field}: shape ${shapeStr(t.shape)}, expected [${e.shape.map((d) => (d === null ? '?' : d)).join(',')}]`);
  }
}

// ---- quantised float maps ----

/** Bits of a quantised map; 0 = float32 (exact). */
export type QuantBits = 0 | 8 | 16;

/** Upper bounds of |decoded - original| for values in [0, 1] (see the module comment). */
export const QUANT_MAX_ERROR: Record<8 | 16, number> = {
  8: 0.5 / 255 + 2 ** -25,
  16: 0.5 / 65535 + 2 ** -25,
};

const LEVELS = { 8: 255, 16: 65535 } as const;

/**
 * A float map as a Tensor message: float32 for bits 0, else UINT8/UINT16 with scale 1/255 or
 * 1/65535 (values clamped to [0, 1], rounded to nearest; NaN is an error).
 */
export function encodeFloatMap(values: Float32Array, shape: Shape, bits: QuantBits, field = 'map'): Tensor {
  if (bits === 0) return encodeTensor({ dtype: 'float32', shape, data: values }, field);
  assertLittleEndian();
  if (bits !== 8 && bits !== 16) throw new TensorEncodeError(`${field}: quantisation to ${String(bits)} bits (0, 8 or 16)`);
  checkShape(shape, field, (m) => new TensorEncodeError(m));
  const n = numel(shape);
  if (values.length !== n) throw new TensorEncodeError(`${field}: ${values.length} values for shape ${shapeStr(shape)} (${n})`);
  const levels = LEVELS[bits];
  const q = bits === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) throw new TensorEncodeError(`${field}: NaN at index ${i} cannot be quantised`);
    q[i] = Math.round((v <= 0 ? 0 : v >= 1 ? 1 : v) * levels);
  }
  return { dtype: (bits === 8 ? WIRE.uint8.proto : WIRE.uint16.proto) as Tensor['dtype'], shape: [...shape], data: copyBytes(q), scale: 1 / levels, offset: 0 };
}

function dequantize(bytes: Uint8Array, dtype: 'uint8' | 'uint16', scale: number, offset: number, n: number): Float32Array {
  const levels = dtype === 'uint8' ? LEVELS[8] : LEVELS[16];
  const s = scale === Math.fround(1 / levels) ? 1 / levels : scale;
  let q: Uint8Array | Uint16Array;
  if (dtype === 'uint8') q = bytes;
  else {
    q = new Uint16Array(n);
    new Uint8Array(q.buffer).set(bytes);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = q[i]! * s + offset;
  return out;
}

/** A float map (float32 or quantised) as float32 TensorData; other dtypes are INVALID_ARGUMENT. */
export function decodeFloatMap(msg: TensorMessage | null | undefined, field: string, expect: Omit<TensorExpect, 'dtype'> = {}): TensorData {
  return decodeTensor(msg, field, { ...expect, dtype: 'float32' });
}
