/**
 * Checkpoints: named tensors (parameters, optimiser state, buffers), the step and arbitrary
 * JSON metadata (RNG states, config, versions) in one file, written atomically.
 *
 * File format "STVMCKPT" version 1 (all integers little-endian):
 *
 *   offset 0       8 bytes   magic, ASCII "STVMCKPT"
 *   offset 8       uint32    format version (1)
 *   offset 12      uint32    H, byte length of the header
 *   offset 16      H bytes   header, UTF-8 JSON:
 *                            { "step": number, "metadata": any JSON, "dataBytes": D,
 *                              "tensors": [{ "name", "dtype", "shape": number[],
 *                                            "offset": byte offset in the data section,
 *                                            "bytes": byte length }, ...] }
 *   then           0–7 zero bytes, so that the data section starts at a multiple of 8
 *   data           D bytes   each tensor's raw row-major little-endian values at its offset
 *                            (offsets are multiples of 8; bool is one byte per value)
 *   last           32 bytes  SHA-256 of every preceding byte of the file
 *
 * Like safetensors, a reader needs nothing but the header to locate every tensor. Loading
 * checks the length (truncation), the checksum (corruption) and, when the model's tensor
 * specs are given, that every tensor's name, dtype and shape match.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { numel, sameShape, shapeStr, type DType, type TensorData, type TypedArray } from '../ir/tensor.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { CheckpointError } from './errors.js';
import type { TensorSpec } from './tensor-spec.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface CheckpointContent {
  readonly step: number;
  readonly tensors: ReadonlyMap<string, TensorData>;
  readonly metadata?: JsonValue;
}

export interface LoadedCheckpoint {
  readonly step: number;
  readonly tensors: Map<string, TensorData>;
  readonly metadata: JsonValue;
}

interface HeaderTensor {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  bytes: number;
}

interface Header {
  step: number;
  metadata: JsonValue;
  dataBytes: number;
  tensors: HeaderTensor[];
}

const MAGIC = Buffer.from('STVMCKPT', 'ascii');
const VERSION = 1;
const PREAMBLE = 16;
const DIGEST = 32;
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('checkpoints are little-endian; this big-endian host is not supported');
}

function bytesOf(t: TensorData): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Writes a checkpoint atomically (temp file + fsync + rename). */
export async function saveCheckpoint(file: string, content: CheckpointContent): Promise<void> {
  assertLittleEndian();
  if (!Number.isInteger(content.step) || content.step < 0) throw new CheckpointError(file, `step must be an integer ≥ 0 (got ${content.step})`);
  const tensors: HeaderTensor[] = [];
  const pieces: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of content.tensors) {
    if (!(t.dtype in BYTES)) throw new CheckpointError(file, `tensor '${name}' has an unsupported dtype ${String(t.dtype)}`);
    const n = numel(t.shape);
    if (t.data.length !== n) throw new CheckpointError(file, `tensor '${name}' has ${t.data.length} values for shape ${shapeStr(t.shape)}`);
    const b = bytesOf(t);
    tensors.push({ name, dtype: t.dtype, shape: [...t.shape], offset, bytes: b.byteLength });
    pieces.push(b);
    const pad = align8(offset + b.byteLength) - (offset + b.byteLength);
    if (pad > 0) pieces.push(Buffer.alloc(pad));
    offset += b.byteLength + pad;
  }
  const header: Header = { step: content.step, metadata: content.metadata ?? null, dataBytes: offset, tensors };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(PREAMBLE);
  MAGIC.copy(pre, 0);
  pre.writeUInt32LE(VERSION, 8);
  pre.writeUInt32LE(headerBytes.byteLength, 12);
  const headPad = Buffer.alloc(align8(PREAMBLE + headerBytes.byteLength) - PREAMBLE - headerBytes.byteLength);
  const chunks = [pre, headerBytes, headPad, ...pieces];
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  chunks.push(hash.digest());
  await writeFileAtomic(file, chunks);
}

/**
 * Reads and checks a checkpoint. With `expect` (the model's tensors, e.g. from
 * TrainStepRunner.stateInfo() or TensorStore.specs()), every expected tensor must be present
 * with the same dtype and shape and the checkpoint may hold no other tensor; the error names
 * the first tensor that does not match.
 */
export async function loadCheckpoint(file: string, opts: { expect?: ReadonlyMap<string, TensorSpec> } = {}): Promise<LoadedCheckpoint> {
  assertLittleEndian();
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch (e) {
    throw new CheckpointError(file, `cannot be read (${(e as Error).message})`);
  }
  if (buf.byteLength < PREAMBLE) throw new CheckpointError(file, `is truncated: ${buf.byteLength} bytes, shorter than the ${PREAMBLE}-byte preamble`);
  if (!buf.subarray(0, 8).equals(MAGIC)) throw new CheckpointError(file, 'is not a checkpoint (bad magic; expected "STVMCKPT")');
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new CheckpointError(file, `has format version ${version}; this reader supports version ${VERSION}`);
  const h = buf.readUInt32LE(12);
  if (buf.byteLength < PREAMBLE + h) throw new CheckpointError(file, `is truncated: ${buf.byteLength} bytes, but its header alone needs ${PREAMBLE + h}`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(PREAMBLE, PREAMBLE + h).toString('utf8')) as Header;
  } catch (e) {
    throw new CheckpointError(file, `has a corrupt header (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.tensors) || !Number.isInteger(header.dataBytes) || !Number.isInteger(header.step)) {
    throw new CheckpointError(file, 'has a corrupt header (missing step, dataBytes or tensors)');
  }
  const dataStart = align8(PREAMBLE + h);
  const expectedLength = dataStart + header.dataBytes + DIGEST;
  if (buf.byteLength < expectedLength) throw new CheckpointError(file, `is truncated: ${buf.byteLength} bytes, expected ${expectedLength}`);
  if (buf.byteLength > expectedLength) throw new CheckpointError(file, `has ${buf.byteLength - expectedLength} unexpected trailing bytes (expected ${expectedLength} bytes)`);
  const digest = createHash('sha256').update(buf.subarray(0, expectedLength - DIGEST)).digest();
  if (!digest.equals(buf.subarray(expectedLength - DIGEST))) throw new CheckpointError(file, 'checksum mismatch: the file is corrupted');

  const tensors = new Map<string, TensorData>();
  for (const t of header.tensors) {
    if (!(t.dtype in BYTES) || !Array.isArray(t.shape)) throw new CheckpointError(file, `tensor '${t.name}' has a corrupt entry in the header`);
    const n = numel(t.shape);
    if (t.bytes !== n * BYTES[t.dtype] || t.offset % 8 !== 0 || t.offset + t.bytes > header.dataBytes) {
      throw new CheckpointError(file, `tensor '${t.name}' has an inconsistent size or offset in the header`);
    }
    if (tensors.has(t.name)) throw new CheckpointError(file, `tensor '${t.name}' appears twice`);
    const start = buf.byteOffset + dataStart + t.offset;
    const raw = buf.buffer.slice(start, start + t.bytes) as ArrayBuffer;
    tensors.set(t.name, { dtype: t.dtype, shape: [...t.shape], data: view(t.dtype, raw) });
  }
  if (opts.expect) verifyTensors(file, tensors, opts.expect);
  return { step: header.step, tensors, metadata: header.metadata ?? null };
}

function view(dtype: DType, b: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(b);
    case 'float64': return new Float64Array(b);
    case 'int64': return new BigInt64Array(b);
    case 'int32': return new Int32Array(b);
    case 'uint8': case 'bool': return new Uint8Array(b);
  }
}

/** Throws a CheckpointError naming the first tensor whose presence, dtype or shape differs from `expect`. */
export function verifyTensors(file: string, tensors: ReadonlyMap<string, TensorSpec>, expect: ReadonlyMap<string, TensorSpec>): void {
  for (const [name, spec] of expect) {
    const t = tensors.get(name);
    if (t === undefined) throw new CheckpointError(file, `tensor '${name}' is missing (the model expects ${spec.dtype} ${shapeStr(spec.shape)})`);
    if (t.dtype !== spec.dtype) throw new CheckpointError(file, `tensor '${name}' is ${t.dtype} but the model expects ${spec.dtype}`);
    if (!sameShape(t.shape, spec.shape)) throw new CheckpointError(file, `tensor '${name}' has shape ${shapeStr(t.shape)} but the model expects ${shapeStr(spec.shape)}`);
  }
  for (const name of tensors.keys()) {
    if (!expect.has(name)) throw new CheckpointError(file, `tensor '${name}' is not part of the model`);
  }
}
