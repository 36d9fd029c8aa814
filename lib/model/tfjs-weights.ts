/**
 * Reading the weights of a TensorFlow.js model without TensorFlow.js: the `model.json` of a
 * layers (or graph) model and its binary weight shards, or the same two things as the JS
 * bundles the nsfwjs package ships.
 *
 * The TF.js format (tfjs-core io/types.ts, io/io_utils.ts decodeWeights):
 *   model.json = { modelTopology, weightsManifest: [{ paths: [shard file, …], weights: [entry, …] }, …], … }
 *   entry      = { name, shape, dtype: 'float32' | 'int32' | 'bool' | …, quantization?: {dtype, min?, scale?} }
 * Each manifest group's shards are concatenated in `paths` order; its entries lie back to back
 * in that buffer, each numel(shape) values of the stored type: the quantization dtype when
 * quantised (uint8: 1 byte, uint16: 2, float16: 2), else dtype (float32/int32: 4 bytes),
 * little-endian. Dequantisation (decodeWeights): uint8/uint16 value = q · scale + min
 * (computed in double, stored as float32; int32 targets rounded); float16 → float32.
 *
 * nsfwjs (≥ 3) bundles `model.min.js` and `group1-shard1of1.min.js`: browserify UMD modules
 * whose export is the model.json object, respectively the shard's bytes as a base64 string.
 * They are evaluated in an empty node:vm context (no require, no process, 10 s timeout) after
 * the package tarball's SHA-512 matched the pinned registry integrity (nsfwjs-package.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

export class TfjsFormatError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'TfjsFormatError';
  }
}

export interface TfjsQuantization {
  readonly dtype: 'uint8' | 'uint16' | 'float16';
  readonly min?: number;
  readonly scale?: number;
}

export interface TfjsWeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: TfjsQuantization;
}

export interface TfjsWeightGroup {
  readonly paths: readonly string[];
  readonly weights: readonly TfjsWeightEntry[];
}

export interface TfjsModelJson {
  readonly modelTopology?: unknown;
  readonly weightsManifest: readonly TfjsWeightGroup[];
  readonly format?: string;
}

/** One decoded weight, in the model's own layout (Keras: HWIO kernels). */
export interface TfjsWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
  /** The stored (quantised) type, when not the dtype itself. */
  readonly stored?: TfjsQuantization['dtype'];
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Validates a parsed model.json (structure of weightsManifest); `where` names the file. */
export function validateModelJson(raw: unknown, where: string): TfjsModelJson {
  const o = raw as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw new TfjsFormatError(`${where}: not a TF.js model.json (expected an object)`);
  const man = o['weightsManifest'];
  if (!Array.isArray(man) || man.length === 0) throw new TfjsFormatError(`${where}: has no weightsManifest (is it a TF.js model.json?)`);
  man.forEach((gr: unknown, gi) => {
    const g = gr as Record<string, unknown> | null;
    if (!g || !Array.isArray(g['paths']) || !g['paths'].every((p) => typeof p === 'string' && p !== '') || !Array.isArray(g['weights'])) {
      throw new TfjsFormatError(`${where}: weightsManifest[${gi}] must be {paths: [file names], weights: [entries]}`);
    }
    (g['weights'] as unknown[]).forEach((w: unknown, wi) => {
      const e = w as Record<string, unknown> | null;
      const at = `${where}: weightsManifest[${gi}].weights[${wi}]`;
      if (!e || typeof e['name'] !== 'string' || !Array.isArray(e['shape']) || !e['shape'].every((d) => Number.isInteger(d) && (d as number) >= 0) || typeof e['dtype'] !== 'string') {
        throw new TfjsFormatError(`${at} must be {name, shape: [non-negative integers], dtype}`);
      }
      const q = e['quantization'] as Record<string, unknown> | undefined;
      if (q !== undefined) {
        if (!['uint8', 'uint16', 'float16'].includes(q['dtype'] as string)) throw new TfjsFormatError(`${at} ('${e['name']}'): quantization.dtype ${JSON.stringify(q['dtype'])} is not uint8, uint16 or float16`);
        if (q['dtype'] !== 'float16' && (typeof q['min'] !== 'number' || typeof q['scale'] !== 'number')) throw new TfjsFormatError(`${at} ('${e['name']}'): ${q['dtype']} quantization needs numeric min and scale`);
      }
    });
  });
  return o as unknown as TfjsModelJson;
}

/** IEEE half → float (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes one entry's bytes (little-endian) per the TF.js rules in the file comment. */
export function decodeEntry(e: TfjsWeightEntry, bytes: Uint8Array, where: string): TfjsWeight {
  const n = numel(e.shape);
  const q = e.quantization;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.dtype !== 'float32' && e.dtype !== 'int32') throw new TfjsFormatError(`${where}: weight '${e.name}' has dtype '${e.dtype}' (only float32 and int32 weights are supported)`);
  if (q) {
    if (q.dtype === 'float16') {
      if (e.dtype !== 'float32') throw new TfjsFormatError(`${where}: weight '${e.name}': float16 quantization is only defined for float32 weights`);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return { name: e.name, shape: [...e.shape], dtype: 'float32', data: out, stored: 'float16' };
    }
    const get = q.dtype === 'uint8' ? (i: number) => bytes[i]! : (i: number) => dv.getUint16(2 * i, true);
    const scale = q.scale!, min = q.min!;
    if (e.dtype === 'float32') {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = get(i) * scale + min;
      return { name: e.name, shape: [...e.shape], dtype: 'float32', data: out, stored: q.dtype };
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.round(get(i) * scale + min);
    return { name: e.name, shape: [...e.shape], dtype: 'int32', data: out, stored: q.dtype };
  }
  if (e.dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    return { name: e.name, shape: [...e.shape], dtype: 'float32', data: out };
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
  return { name: e.name, shape: [...e.shape], dtype: 'int32', data: out };
}

/** Bytes an entry occupies in its group's buffer. */
export function entryBytes(e: TfjsWeightEntry): number {
  const t = e.quantization?.dtype ?? e.dtype;
  const b = STORED_BYTES[t];
  if (b === undefined) throw new TfjsFormatError(`weight '${e.name}': stored type '${t}' is not supported`);
  return numel(e.shape) * b;
}

export interface ShardBytes {
  /** Shard name as listed in the manifest (for errors). */
  readonly name: string;
  /** Where it was read from (file path or bundle), for errors. */
  readonly source: string;
  readonly bytes: Uint8Array;
}

/**
 * Decodes every weight of a model: shards[g] are group g's shards in `paths` order. A group
 * whose shards hold fewer or more bytes than its entries need is an error naming the shards
 * (a truncated or corrupt download).
 */
export function decodeWeights(model: TfjsModelJson, shards: readonly (readonly ShardBytes[])[], where: string): Map<string, TfjsWeight> {
  const out = new Map<string, TfjsWeight>();
  model.weightsManifest.forEach((group, gi) => {
    const parts = shards[gi] ?? [];
    const total = parts.reduce((a, s) => a + s.bytes.byteLength, 0);
    const need = group.weights.reduce((a, e) => a + entryBytes(e), 0);
    const names = parts.map((s) => s.source).join(', ');
    if (total !== need) {
      throw new TfjsFormatError(`${where}: weight shard${parts.length > 1 ? 's' : ''} ${names} of weightsManifest[${gi}] hold${parts.length > 1 ? '' : 's'} ${total} bytes, but its ${group.weights.length} weights need ${need} (truncated or corrupt shard?)`);
    }
    const buf = concat(parts);
    let off = 0;
    for (const e of group.weights) {
      const nb = entryBytes(e);
      if (out.has(e.name)) throw new TfjsFormatError(`${where}: weight '${e.name}' appears twice in the manifest`);
      out.set(e.name, decodeEntry(e, buf.subarray(off, off + nb), `${where} (${names})`));
      off += nb;
    }
  });
  return out;
}

export interface TfjsModel {
  readonly json: TfjsModelJson;
  readonly weights: Map<string, TfjsWeight>;
  /** Each manifest group's shards concatenated (the raw, still quantised bytes). */
  readonly groups: Uint8Array[];
}

const concat = (parts: readonly ShardBytes[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, s) => a + s.bytes.byteLength, 0));
  let off = 0;
  for (const s of parts) {
    out.set(s.bytes, off);
    off += s.bytes.byteLength;
  }
  return out;
};

/** Reads a TF.js model.json and the shard files next to it. Missing shards name the file. */
export function readTfjsModel(modelJsonPath: string): TfjsModel {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  } catch (e) {
    throw new TfjsFormatError(`${modelJsonPath}: cannot read the model.json (${(e as Error).message})`);
  }
  const json = validateModelJson(raw, modelJsonPath);
  const dir = path.dirname(modelJsonPath);
  const shards = json.weightsManifest.map((g, gi) => g.paths.map((p, pi) => {
    const file = path.join(dir, p);
    if (!fs.existsSync(file)) throw new TfjsFormatError(`${modelJsonPath}: weight shard '${p}' (weightsManifest[${gi}].paths[${pi}]) is missing: no file ${file}`);
    return { name: p, source: file, bytes: new Uint8Array(fs.readFileSync(file)) };
  }));
  return { json, weights: decodeWeights(json, shards, modelJsonPath), groups: shards.map(concat) };
}

/** module.exports of a UMD/browserify bundle, evaluated in an empty vm context. */
export function evalBundle(code: string, where: string): unknown {
  const mod: { exports: unknown } = { exports: {} };
  try {
    vm.runInNewContext(code, { module: mod, exports: mod.exports }, { timeout: 10_000, filename: where });
  } catch (e) {
    throw new TfjsFormatError(`${where}: cannot evaluate the bundle (${(e as Error).message})`);
  }
  // values of another realm: copy through JSON so they are plain objects of this one
  return typeof mod.exports === 'string' ? mod.exports : JSON.parse(JSON.stringify(mod.exports));
}

/**
 * Reads an nsfwjs-style bundled model: `modelJs` (the text of model.min.js, exporting the
 * model.json object) and, per manifest path, the text of its shard bundle (exporting the bytes
 * as base64). `shardJs(path)` returns the bundle text and its source name, or undefined when
 * it is missing (an error naming the shard).
 */
export function readBundledModel(modelJs: string, modelWhere: string, shardJs: (p: string) => { text: string; source: string } | undefined): TfjsModel {
  const json = validateModelJson(evalBundle(modelJs, modelWhere), modelWhere);
  const shards = json.weightsManifest.map((g, gi) => g.paths.map((p, pi) => {
    const s = shardJs(p);
    if (!s) throw new TfjsFormatError(`${modelWhere}: weight shard '${p}' (weightsManifest[${gi}].paths[${pi}]) is missing from the package`);
    const b64 = evalBundle(s.text, s.source);
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new TfjsFormatError(`${s.source}: weight shard '${p}' is corrupt (its bundle does not export a base64 string)`);
    return { name: p, source: s.source, bytes: new Uint8Array(Buffer.from(b64, 'base64')) };
  }));
  return { json, weights: decodeWeights(json, shards, modelWhere), groups: shards.map(concat) };
}
