/**
 * ONNX ModelProto bytes → a plain decoded model (nodes, initializers, value infos, opsets).
 * Both packed and unpacked encodings of repeated scalar fields are accepted. Anything the
 * engine cannot represent (external tensor data, subgraph attributes, unsupported element
 * types, truncated or corrupt bytes) is a clear error naming the node or tensor.
 */
import type { Attr, Node } from '../ir/graph.js';
import { allocate, DTYPE_FROM_ONNX, numel, type DType, type TensorData } from '../ir/tensor.js';
import {
  readFields, readPackedDoubles, readPackedFloats, readPackedInts, utf8, WT_I32, WT_I64, WT_LEN, WT_VARINT, type Field,
} from './wire.js';

export interface OpsetImport { readonly domain: string; readonly version: number }

/** One dimension of a declared shape: a fixed size, a symbolic name, or unknown (null). */
export type DeclaredDim = number | string | null;

export interface DecodedValueInfo {
  readonly name: string;
  /** ONNX element type code (0 when the type is not a tensor type or is absent). */
  readonly elemType: number;
  /** The engine dtype, when the element type is one the engine supports. */
  readonly dtype?: DType;
  /** Declared shape; undefined when no shape is declared (unknown rank). */
  readonly shape?: readonly DeclaredDim[];
}

export interface DecodedGraph {
  readonly name: string;
  readonly nodes: Node[];
  readonly initializers: Map<string, TensorData>;
  readonly inputs: DecodedValueInfo[];
  readonly outputs: DecodedValueInfo[];
  readonly valueInfo: DecodedValueInfo[];
}

export interface DecodedModel {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsetImports: OpsetImport[];
  readonly graph: DecodedGraph;
}

/** A model that cannot be decoded: corrupt bytes or a feature the engine does not support. */
export class OnnxDecodeError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'OnnxDecodeError';
  }
}

const ELEM_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4',
};

export function elemTypeName(code: number): string {
  return ELEM_TYPE_NAMES[code] ?? `type code ${code}`;
}

/** Runs a decoding step, rewrapping low-level wire errors with the location being decoded. */
function within<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OnnxDecodeError) throw e;
    throw new OnnxDecodeError(`corrupt or truncated ONNX model: ${(e as Error).message} (while reading ${where})`);
  }
}

function fields(buf: Uint8Array, where: string): Field[] {
  return within(where, () => [...readFields(buf)]);
}

function lenBytes(f: Field, where: string): Uint8Array {
  if (f.wt !== WT_LEN) throw new OnnxDecodeError(`corrupt ONNX model: field ${f.field} of ${where} has wire type ${f.wt}, expected a length-delimited field`);
  return f.bytes!;
}

function str(f: Field, where: string): string {
  return utf8(lenBytes(f, where));
}

function varint(f: Field, where: string): bigint {
  if (f.wt !== WT_VARINT) throw new OnnxDecodeError(`corrupt ONNX model: field ${f.field} of ${where} has wire type ${f.wt}, expected a varint`);
  return BigInt.asIntN(64, f.int!);
}

function num(f: Field, where: string): number {
  return Number(varint(f, where));
}

/** A repeated int64 field (packed or not) → numbers. */
function ints(f: Field, where: string): number[] {
  if (f.wt !== WT_VARINT && f.wt !== WT_LEN) throw new OnnxDecodeError(`corrupt ONNX model: repeated int field ${f.field} of ${where} has wire type ${f.wt}`);
  return within(where, () => readPackedInts(f).map(Number));
}

function bigints(f: Field, where: string): bigint[] {
  if (f.wt !== WT_VARINT && f.wt !== WT_LEN) throw new OnnxDecodeError(`corrupt ONNX model: repeated int field ${f.field} of ${where} has wire type ${f.wt}`);
  return within(where, () => readPackedInts(f));
}

/** A repeated float field (packed, or one fixed32 per element). */
function floats(f: Field, where: string): number[] {
  if (f.wt !== WT_I32 && f.wt !== WT_LEN) throw new OnnxDecodeError(`corrupt ONNX model: repeated float field ${f.field} of ${where} has wire type ${f.wt}`);
  if (f.bytes!.length % 4 !== 0 || (f.wt === WT_I32 && f.bytes!.length !== 4)) throw new OnnxDecodeError(`corrupt or truncated ONNX model: float field ${f.field} of ${where} has ${f.bytes!.length} bytes`);
  return readPackedFloats(f);
}

function doubles(f: Field, where: string): number[] {
  if (f.wt !== WT_I64 && f.wt !== WT_LEN) throw new OnnxDecodeError(`corrupt ONNX model: repeated double field ${f.field} of ${where} has wire type ${f.wt}`);
  if (f.bytes!.length % 8 !== 0 || (f.wt === WT_I64 && f.bytes!.length !== 8)) throw new OnnxDecodeError(`corrupt or truncated ONNX model: double field ${f.field} of ${where} has ${f.bytes!.length} bytes`);
  return readPackedDoubles(f);
}

const BYTES_PER: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

/** TensorProto → TensorData. `what` describes the tensor for error messages. */
export function decodeTensor(buf: Uint8Array, what: string): TensorData {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let raw: Uint8Array | undefined;
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: bigint[] = [];
  const doubleData: number[] = [];
  let external = false;
  let segment = false;
  let hasString = false;
  let hasUint64 = false;
  const fs = fields(buf, what);
  for (const f of fs) if (f.field === 8) name = str(f, what);
  const where = name ? `${what} '${name}'` : what;
  for (const f of fs) {
    switch (f.field) {
      case 1: dims.push(...ints(f, where)); break;
      case 2: dataType = num(f, where); break;
      case 3: segment = true; break;
      case 4: floatData.push(...floats(f, where)); break;
      case 5: int32Data.push(...ints(f, where)); break;
      case 6: hasString = true; break;
      case 7: int64Data.push(...bigints(f, where)); break;
      case 9: raw = lenBytes(f, where); break;
      case 10: doubleData.push(...doubles(f, where)); break;
      case 11: hasUint64 = true; break;
      case 13: external = true; break;
      case 14: if (num(f, where) === 1) external = true; break;
      default: break;
    }
  }
  if (external) {
    throw new OnnxDecodeError(`${where} stores its data in an external file (data_location EXTERNAL); external tensor data is not supported: re-save the model with the weights inside the .onnx file (e.g. onnx.save(model, path, save_as_external_data=False))`);
  }
  if (segment) throw new OnnxDecodeError(`${where} is a segmented tensor, which is not supported`);
  const dtype = DTYPE_FROM_ONNX[dataType];
  if (dtype === undefined) {
    throw new OnnxDecodeError(`${where} has element type ${elemTypeName(dataType)}, which the engine does not support (supported: FLOAT, DOUBLE, INT64, INT32, UINT8, BOOL)`);
  }
  if (hasString || hasUint64) throw new OnnxDecodeError(`${where}: unexpected string/uint64 data for element type ${elemTypeName(dataType)}`);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new OnnxDecodeError(`${where} has invalid dims [${dims.join(',')}]`);
  const n = numel(dims);
  const data = allocate(dtype, n);
  const bad = (have: number) => new OnnxDecodeError(`${where}: ${have} values stored for shape [${dims.join(',')}] (${n} expected)`);
  if (raw !== undefined) {
    if (raw.length !== n * BYTES_PER[dtype]) throw new OnnxDecodeError(`${where}: raw_data has ${raw.length} bytes for shape [${dims.join(',')}] of ${dtype} (${n * BYTES_PER[dtype]} expected)`);
    // copy: raw_data is not aligned for typed-array views (little-endian, as the platform)
    new Uint8Array(data.buffer).set(raw);
  } else if (dtype === 'float32') {
    if (floatData.length !== n) throw bad(floatData.length);
    (data as Float32Array).set(floatData);
  } else if (dtype === 'float64') {
    if (doubleData.length !== n) throw bad(doubleData.length);
    (data as Float64Array).set(doubleData);
  } else if (dtype === 'int64') {
    if (int64Data.length !== n) throw bad(int64Data.length);
    (data as BigInt64Array).set(int64Data);
  } else {
    if (int32Data.length !== n) throw bad(int32Data.length);
    (data as Int32Array | Uint8Array).set(int32Data);
  }
  return { dtype, shape: dims, data };
}

const ATTR_KIND: Record<number, Attr['kind'] | undefined> = { 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 6: 'floats', 7: 'ints', 8: 'strings' };
const ATTR_TYPE_NAMES: Record<number, string> = {
  5: 'GRAPH (a subgraph)', 10: 'GRAPHS (subgraphs)', 9: 'TENSORS', 11: 'SPARSE_TENSOR', 12: 'SPARSE_TENSORS', 13: 'TYPE_PROTO', 14: 'TYPE_PROTOS',
};

function decodeAttr(buf: Uint8Array, nodeWhere: string): [string, Attr] {
  const fs = fields(buf, `an attribute of ${nodeWhere}`);
  let name = '';
  for (const f of fs) if (f.field === 1) name = str(f, nodeWhere);
  const where = `attribute '${name}' of ${nodeWhere}`;
  let type: number | undefined;
  let f1: number | undefined;
  let i1: number | undefined;
  let s1: string | undefined;
  let t1: TensorData | undefined;
  const fl: number[] = [];
  const il: number[] = [];
  const sl: string[] = [];
  let sub: string | undefined;
  for (const f of fs) {
    switch (f.field) {
      case 2:
        if (f.wt !== WT_I32) throw new OnnxDecodeError(`corrupt ONNX model: ${where} has a float with wire type ${f.wt}`);
        f1 = floats(f, where)[0];
        break;
      case 3: i1 = num(f, where); break;
      case 4: s1 = str(f, where); break;
      case 5: t1 = decodeTensor(lenBytes(f, where), `the tensor of ${where}`); break;
      case 6: case 11: sub = 'a subgraph (control flow: If/Loop/Scan)'; break;
      case 10: case 22: case 23: sub = 'tensors/sparse tensors'; break;
      case 7: fl.push(...floats(f, where)); break;
      case 8: il.push(...ints(f, where)); break;
      case 9: sl.push(str(f, where)); break;
      case 20: type = num(f, where); break;
      case 21: throw new OnnxDecodeError(`${where} refers to a function attribute (ref_attr_name), which is not supported`);
      default: break;
    }
  }
  if (sub !== undefined || (type !== undefined && ATTR_TYPE_NAMES[type] !== undefined)) {
    throw new OnnxDecodeError(`${where} holds ${sub ?? ATTR_TYPE_NAMES[type!]}, which is not supported: the engine imports flat graphs only`);
  }
  let kind = type === undefined ? undefined : ATTR_KIND[type];
  if (type !== undefined && kind === undefined) throw new OnnxDecodeError(`${where} has unknown attribute type ${type}`);
  if (kind === undefined) {
    // old models may omit the type: infer it from the field present
    kind = f1 !== undefined ? 'float' : i1 !== undefined ? 'int' : s1 !== undefined ? 'string' : t1 !== undefined ? 'tensor'
      : fl.length ? 'floats' : il.length ? 'ints' : sl.length ? 'strings' : undefined;
    if (kind === undefined) throw new OnnxDecodeError(`${where} has no type and no value`);
  }
  switch (kind) {
    case 'float': return [name, { kind, value: f1 ?? 0 }];
    case 'int': return [name, { kind, value: i1 ?? 0 }];
    case 'string': return [name, { kind, value: s1 ?? '' }];
    case 'tensor':
      if (t1 === undefined) throw new OnnxDecodeError(`${where} is of type TENSOR but holds no tensor`);
      return [name, { kind, value: t1 }];
    case 'floats': return [name, { kind, value: fl }];
    case 'ints': return [name, { kind, value: il }];
    case 'strings': return [name, { kind, value: sl }];
  }
}

function decodeNode(buf: Uint8Array, index: number): Node {
  const fs = fields(buf, `node #${index}`);
  let name = '';
  let op = '';
  for (const f of fs) {
    if (f.field === 3) name = str(f, `node #${index}`);
    if (f.field === 4) op = str(f, `node #${index}`);
  }
  const where = `node #${index} '${name}' (${op || 'no op_type'})`;
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attrs: Record<string, Attr> = {};
  let domain = '';
  for (const f of fs) {
    switch (f.field) {
      case 1: inputs.push(str(f, where)); break;
      case 2: outputs.push(str(f, where)); break;
      case 5: {
        const [k, a] = decodeAttr(lenBytes(f, where), where);
        attrs[k] = a;
        break;
      }
      case 7: domain = str(f, where); break;
      default: break;
    }
  }
  if (op === '') throw new OnnxDecodeError(`corrupt ONNX model: ${where} has no op_type`);
  return { op, name, inputs, outputs, attrs, ...(domain && domain !== 'ai.onnx' ? { domain } : {}) };
}

function decodeValueInfo(buf: Uint8Array, what: string): DecodedValueInfo {
  const fs = fields(buf, what);
  let name = '';
  for (const f of fs) if (f.field === 1) name = str(f, what);
  const where = `${what} '${name}'`;
  let elemType = 0;
  let shape: DeclaredDim[] | undefined;
  for (const f of fs) {
    if (f.field !== 2) continue;
    for (const tf of fields(lenBytes(f, where), where)) {
      if (tf.field !== 1) continue; // only tensor_type
      for (const ttf of fields(lenBytes(tf, where), where)) {
        if (ttf.field === 1) elemType = num(ttf, where);
        else if (ttf.field === 2) {
          shape = [];
          for (const sf of fields(lenBytes(ttf, where), where)) {
            if (sf.field !== 1) continue;
            let dim: DeclaredDim = null;
            for (const df of fields(lenBytes(sf, where), where)) {
              if (df.field === 1) dim = num(df, where);
              else if (df.field === 2) dim = str(df, where);
            }
            shape.push(dim);
          }
        }
      }
    }
  }
  const dtype = DTYPE_FROM_ONNX[elemType];
  return { name, elemType, ...(dtype ? { dtype } : {}), ...(shape ? { shape } : {}) };
}

function decodeGraph(buf: Uint8Array): DecodedGraph {
  const g: DecodedGraph = { name: '', nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [] };
  let name = '';
  for (const f of fields(buf, 'the graph')) {
    switch (f.field) {
      case 1: g.nodes.push(decodeNode(lenBytes(f, 'the graph'), g.nodes.length)); break;
      case 2: name = str(f, 'the graph'); break;
      case 5: {
        const bytes = lenBytes(f, 'the graph');
        const t = decodeTensor(bytes, `initializer #${g.initializers.size}`);
        const tn = tensorName(bytes);
        if (g.initializers.has(tn)) throw new OnnxDecodeError(`the graph has two initializers named '${tn}'`);
        g.initializers.set(tn, t);
        break;
      }
      case 11: g.inputs.push(decodeValueInfo(lenBytes(f, 'the graph'), 'graph input')); break;
      case 12: g.outputs.push(decodeValueInfo(lenBytes(f, 'the graph'), 'graph output')); break;
      case 13: g.valueInfo.push(decodeValueInfo(lenBytes(f, 'the graph'), 'value_info')); break;
      case 15: throw new OnnxDecodeError('the graph holds sparse initializers, which are not supported');
      default: break;
    }
  }
  return { ...g, name };
}

function tensorName(buf: Uint8Array): string {
  for (const f of readFields(buf)) if (f.field === 8 && f.wt === WT_LEN) return utf8(f.bytes!);
  return '';
}

/** Decodes ONNX ModelProto bytes. Throws OnnxDecodeError on corrupt input or unsupported features. */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new OnnxDecodeError('not an ONNX model: the input is empty');
  let irVersion = 0;
  let producerName = '';
  let producerVersion = '';
  const opsetImports: OpsetImport[] = [];
  let graph: DecodedGraph | undefined;
  for (const f of fields(bytes, 'the model')) {
    switch (f.field) {
      case 1: irVersion = num(f, 'the model'); break;
      case 2: producerName = str(f, 'the model'); break;
      case 3: producerVersion = str(f, 'the model'); break;
      case 7:
        if (graph !== undefined) throw new OnnxDecodeError('corrupt ONNX model: two graph fields');
        graph = decodeGraph(lenBytes(f, 'the model'));
        break;
      case 8: {
        let domain = '';
        let version = 0;
        for (const of of fields(lenBytes(f, 'the model'), 'an opset_import')) {
          if (of.field === 1) domain = str(of, 'an opset_import');
          else if (of.field === 2) version = num(of, 'an opset_import');
        }
        opsetImports.push({ domain, version });
        break;
      }
      case 25: throw new OnnxDecodeError('the model defines local functions (ModelProto.functions), which are not supported');
      default: break;
    }
  }
  if (graph === undefined) throw new OnnxDecodeError('not an ONNX model (or a corrupt one): no graph field was found');
  if (irVersion <= 0) throw new OnnxDecodeError('not an ONNX model (or a corrupt one): no ir_version');
  return { irVersion, producerName, producerVersion, opsetImports, graph };
}
