/**
 * Weight snapshots: one self-describing binary payload per (run, version) of a model's
 * parameters, and the digest that names a set of weights.
 *
 * Why: the student's weights travel to the teacher as an immutable, versioned object (see
 * weight-store.ts). The payload must carry everything needed to rebuild the tensors and to
 * prove they arrived intact, independently of the transport's own checks.
 *
 * On-wire format (version 1, little-endian):
 *
 *   offset 0   4 bytes   magic, ASCII "SFWS"
 *   offset 4   uint32    H = byte length of the header (UTF-8 JSON, padded with spaces so that
 *                        the data section starts at a multiple of 8)
 *   offset 8   H bytes   header JSON:
 *                          { "format": "sfda-weights", "formatVersion": 1,
 *                            "run": "<run id>", "version": <weights version, integer ≥ 0>,
 *                            "sha256": "<weightsDigest of the tensors, 64 hex>",
 *                            "dataBytes": <byte length of the data section>,
 *                            "tensors": [ { "name", "dtype", "shape": [..], "offset", "bytes" }, .. ],
 *                            "meta": { .. }   (optional, free-form) }
 *                        tensors are sorted by name (UTF-16 code-unit order, JS default sort);
 *                        offset is relative to the data section and a multiple of 8.
 *   offset 8+H dataBytes the raw tensor bytes (host little-endian layout of the typed arrays;
 *                        int64 as two's complement, bool as one byte), zero padding between.
 *
 * Padding bytes must be zero. The payload ends exactly at 8 + H + dataBytes; anything shorter is "truncated", anything
 * longer "trailing bytes". Decoding copies the data section once into a fresh ArrayBuffer, so
 * every returned typed array is aligned and owned by the caller (never a view of a transport
 * buffer), and recomputes the digest; any mismatch is a SnapshotCorruptError naming run,
 * version and the problem.
 *
 * weightsDigest: SHA-256 over the tag "sfda-weights-digest/1\n" and, for every tensor in name
 * order, JSON.stringify([name, dtype, shape]) + "\n" followed by its raw bytes. It depends only
 * on names, dtypes, shapes and values (not on layout or insertion order), so the same weights
 * give the same digest wherever they are held; it is the "weights digest" reported next to
 * the weights version by the services.
 */
import { createHash, type Hash } from 'node:crypto';
import os from 'node:os';
import { numel, type DType, type TensorData, type TypedArray } from '../../engine/ir/tensor.js';
import { SnapshotCorruptError, SyncError } from './errors.js';

export const SNAPSHOT_MAGIC = 'SFWS';
export const SNAPSHOT_FORMAT = 'sfda-weights';
export const SNAPSHOT_FORMAT_VERSION = 1;
const DIGEST_TAG = 'sfda-weights-digest/1\n';
const ALIGN = 8;

export type TensorMap = ReadonlyMap<string, TensorData>;

export interface SnapshotTensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Byte offset in the data section (multiple of 8). */
  readonly offset: number;
  readonly bytes: number;
}

export interface SnapshotHeader {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly formatVersion: number;
  readonly run: string;
  readonly version: number;
  /** weightsDigest of the tensors (hex). */
  readonly sha256: string;
  readonly dataBytes: number;
  readonly tensors: readonly SnapshotTensorEntry[];
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface EncodedSnapshot {
  readonly payload: Uint8Array;
  readonly header: SnapshotHeader;
}

export interface DecodedSnapshot {
  readonly header: SnapshotHeader;
  readonly tensors: Map<string, TensorData>;
}

/** What the reader expects (from the head pointer); a disagreement is a SnapshotCorruptError. */
export interface SnapshotExpectation {
  run?: string;
  version?: number;
  digest?: string;
}

const ITEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new SyncError('INVALID_ARGUMENT', 'weight snapshots are little-endian; this host is big-endian');
}

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

function sortedNames(tensors: TensorMap): string[] {
  return [...tensors.keys()].sort();
}

function expectedArrayKind(dtype: DType, a: TypedArray): boolean {
  switch (dtype) {
    case 'float32': return a instanceof Float32Array;
    case 'float64': return a instanceof Float64Array;
    case 'int64': return a instanceof BigInt64Array;
    case 'int32': return a instanceof Int32Array;
    case 'uint8': case 'bool': return a instanceof Uint8Array;
  }
}

function checkTensor(name: string, t: TensorData): void {
  if (!(t.dtype in ITEM_BYTES)) throw new SyncError('INVALID_ARGUMENT', `snapshot: tensor '${name}' has unknown dtype '${String(t.dtype)}'`);
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SyncError('INVALID_ARGUMENT', `snapshot: tensor '${name}' has an invalid shape [${t.shape.join(',')}]`);
  if (!expectedArrayKind(t.dtype, t.data)) throw new SyncError('INVALID_ARGUMENT', `snapshot: tensor '${name}' is ${t.dtype} but holds a ${t.data.constructor.name}`);
  if (t.data.length !== numel(t.shape)) throw new SyncError('INVALID_ARGUMENT', `snapshot: tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(',')}]`);
}

function hashTensor(h: Hash, name: string, dtype: DType, shape: readonly number[], bytes: Uint8Array): void {
  h.update(JSON.stringify([name, dtype, shape]) + '\n');
  h.update(bytes);
}

/** SHA-256 (hex) over sorted names, dtypes, shapes and bytes; see the module comment. */
export function weightsDigest(tensors: TensorMap): string {
  assertLittleEndian();
  const h = createHash('sha256');
  h.update(DIGEST_TAG);
  for (const name of sortedNames(tensors)) {
    const t = tensors.get(name)!;
    checkTensor(name, t);
    hashTensor(h, name, t.dtype, t.shape, bytesOf(t.data));
  }
  return h.digest('hex');
}

/** Serialises the tensors of (run, version) into one payload (see the module comment). */
export function encodeSnapshot(run: string, version: number, tensors: TensorMap, meta?: Readonly<Record<string, unknown>>): EncodedSnapshot {
  assertLittleEndian();
  if (!Number.isSafeInteger(version) || version < 0) throw new SyncError('INVALID_ARGUMENT', `snapshot: version must be an integer ≥ 0, got ${version}`);
  const entries: SnapshotTensorEntry[] = [];
  let pos = 0;
  for (const name of sortedNames(tensors)) {
    const t = tensors.get(name)!;
    checkTensor(name, t);
    pos = alignUp(pos);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset: pos, bytes: t.data.byteLength });
    pos += t.data.byteLength;
  }
  const dataBytes = alignUp(pos);
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT, formatVersion: SNAPSHOT_FORMAT_VERSION, run, version,
    sha256: weightsDigest(tensors), dataBytes, tensors: entries, ...(meta ? { meta } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerLen = alignUp(8 + json.length) - 8;
  const payload = new Uint8Array(8 + headerLen + dataBytes);
  payload.set(Buffer.from(SNAPSHOT_MAGIC, 'ascii'), 0);
  new DataView(payload.buffer).setUint32(4, headerLen, true);
  payload.set(json, 8);
  payload.fill(0x20, 8 + json.length, 8 + headerLen);
  const data0 = 8 + headerLen;
  for (const e of entries) payload.set(bytesOf(tensors.get(e.name)!.data), data0 + e.offset);
  return { payload, header };
}

function corrupt(expect: SnapshotExpectation | undefined, hdr: Partial<SnapshotHeader> | undefined, what: string, cause?: unknown): SnapshotCorruptError {
  return new SnapshotCorruptError(expect?.run ?? hdr?.run, expect?.version ?? hdr?.version, what, cause === undefined ? undefined : { cause });
}

/** Reads and validates the header only (no digest check); throws SnapshotCorruptError. */
export function readSnapshotHeader(payload: Uint8Array, expect?: SnapshotExpectation): { header: SnapshotHeader; dataStart: number } {
  if (payload.length < 8) throw corrupt(expect, undefined, `truncated: ${payload.length} bytes, shorter than the 8-byte preamble`);
  const magic = Buffer.from(payload.buffer, payload.byteOffset, 4).toString('latin1');
  if (magic !== SNAPSHOT_MAGIC) throw corrupt(expect, undefined, `not a weight snapshot (magic ${JSON.stringify(magic)}, expected "${SNAPSHOT_MAGIC}")`);
  const headerLen = new DataView(payload.buffer, payload.byteOffset, 8).getUint32(4, true);
  if (8 + headerLen > payload.length) throw corrupt(expect, undefined, `truncated: ${payload.length} bytes, the header alone needs ${8 + headerLen}`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    throw corrupt(expect, undefined, 'the header is not valid JSON', e);
  }
  const h = raw as Partial<SnapshotHeader>;
  const bad = (what: string) => corrupt(expect, typeof h === 'object' && h !== null ? h : undefined, `header: ${what}`);
  if (typeof h !== 'object' || h === null) throw bad('not an object');
  if (h.format !== SNAPSHOT_FORMAT) throw bad(`format is ${JSON.stringify(h.format)}, expected "${SNAPSHOT_FORMAT}"`);
  if (h.formatVersion !== SNAPSHOT_FORMAT_VERSION) throw bad(`unsupported formatVersion ${JSON.stringify(h.formatVersion)} (this reader knows ${SNAPSHOT_FORMAT_VERSION})`);
  if (typeof h.run !== 'string') throw bad('run is missing');
  if (!Number.isSafeInteger(h.version) || h.version! < 0) throw bad(`version ${JSON.stringify(h.version)} is not an integer ≥ 0`);
  if (typeof h.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.sha256)) throw bad('sha256 is missing or malformed');
  if (!Number.isSafeInteger(h.dataBytes) || h.dataBytes! < 0) throw bad('dataBytes is missing');
  if (!Array.isArray(h.tensors)) throw bad('tensors is missing');
  let end = 0;
  const seen = new Set<string>();
  for (const [i, raw] of (h.tensors as readonly unknown[]).entries()) {
    const where = `tensors[${i}]`;
    const t = raw as SnapshotTensorEntry;
    if (typeof raw !== 'object' || raw === null || typeof t.name !== 'string') throw bad(`${where} has no name`);
    if (seen.has(t.name)) throw bad(`${where} repeats the name '${t.name}'`);
    seen.add(t.name);
    if (typeof t.dtype !== 'string' || !(t.dtype in ITEM_BYTES)) throw bad(`${where} ('${t.name}') has unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !(t.shape as unknown[]).every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad(`${where} ('${t.name}') has an invalid shape`);
    if (t.bytes !== numel(t.shape) * ITEM_BYTES[t.dtype]) throw bad(`${where} ('${t.name}') has ${t.bytes} bytes, its dtype and shape need ${numel(t.shape) * ITEM_BYTES[t.dtype]}`);
    if (!Number.isSafeInteger(t.offset) || t.offset < end || t.offset % ALIGN !== 0 || t.offset + t.bytes > h.dataBytes!) throw bad(`${where} ('${t.name}') has a bad offset ${t.offset}`);
    end = t.offset + t.bytes;
  }
  const header = h as SnapshotHeader;
  if (expect?.run !== undefined && header.run !== expect.run) throw corrupt(expect, header, `the header names run '${header.run}'`);
  if (expect?.version !== undefined && header.version !== expect.version) throw corrupt(expect, header, `the header says v${header.version}`);
  if (expect?.digest !== undefined && header.sha256 !== expect.digest) throw corrupt(expect, header, `the header digest ${header.sha256} differs from the expected ${expect.digest}`);
  return { header, dataStart: 8 + headerLen };
}

function view(dtype: DType, buf: ArrayBuffer, offset: number, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf, offset, n);
    case 'float64': return new Float64Array(buf, offset, n);
    case 'int64': return new BigInt64Array(buf, offset, n);
    case 'int32': return new Int32Array(buf, offset, n);
    case 'uint8': case 'bool': return new Uint8Array(buf, offset, n);
  }
}

/**
 * Parses a payload back into tensors (aligned typed arrays over one fresh buffer) and verifies
 * its digest. Throws SnapshotCorruptError on any damage; returns nothing partial.
 */
export function decodeSnapshot(payload: Uint8Array, expect?: SnapshotExpectation): DecodedSnapshot {
  assertLittleEndian();
  const { header, dataStart } = readSnapshotHeader(payload, expect);
  const need = dataStart + header.dataBytes;
  if (payload.length < need) throw corrupt(expect, header, `truncated: ${payload.length} bytes, the header needs ${need}`);
  if (payload.length > need) throw corrupt(expect, header, `${payload.length - need} trailing bytes after the data section`);
  const buf = new ArrayBuffer(header.dataBytes);
  new Uint8Array(buf).set(payload.subarray(dataStart, need));
  const h = createHash('sha256');
  h.update(DIGEST_TAG);
  const tensors = new Map<string, TensorData>();
  // The header lists tensors in name order, the same order the digest uses.
  const order = [...header.tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of order) {
    hashTensor(h, e.name, e.dtype, e.shape, new Uint8Array(buf, e.offset, e.bytes));
    tensors.set(e.name, { dtype: e.dtype, shape: [...e.shape], data: view(e.dtype, buf, e.offset, e.bytes / ITEM_BYTES[e.dtype]) });
  }
  // Padding is not part of the weights; it must still be zero (a flipped bit anywhere is damage).
  let pos = 0;
  const bytes = new Uint8Array(buf);
  for (const e of [...header.tensors, { offset: header.dataBytes, bytes: 0 }]) {
    for (let i = pos; i < e.offset; i++) if (bytes[i] !== 0) throw corrupt(expect, header, `non-zero padding byte at data offset ${i}`);
    pos = e.offset + e.bytes;
  }
  const got = h.digest('hex');
  if (got !== header.sha256) throw corrupt(expect, header, `checksum mismatch: the tensor bytes hash to ${got}, the header says ${header.sha256}`);
  return { header, tensors };
}
