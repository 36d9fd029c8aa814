/**
 * Graph → ONNX ModelProto bytes (opset 17, IR 8). Tensors are written as little-endian raw_data.
 */
import { IR_VERSION, OPSET, type Attr, type Graph, type Node, type ValueInfo } from '../ir/graph.js';
import { ONNX_DTYPE, type TensorData } from '../ir/tensor.js';
import { ProtoWriter } from './wire.js';

export function encodeTensor(name: string, t: TensorData): ProtoWriter {
  const w = new ProtoWriter(64 + t.data.byteLength);
  w.packedInts(1, t.shape);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, name);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

function encodeAttr(name: string, a: Attr): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, name);
  switch (a.kind) {
    case 'float': w.float(2, a.value); break;
    case 'int': w.int(3, BigInt(Math.trunc(a.value))); break;
    case 'string': w.string(4, a.value); break;
    case 'tensor': w.message(5, encodeTensor('', a.value)); break;
    case 'floats': for (const v of a.value) w.float(7, v); break;
    case 'ints': for (const v of a.value) w.int(8, BigInt(v)); break;
    case 'strings': for (const v of a.value) w.string(9, v); break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
  return w;
}

function encodeNode(n: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, encodeAttr(k, a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) shape.message(1, new ProtoWriter().int(1, d));
  const tt = new ProtoWriter().int(1, ONNX_DTYPE[v.dtype]).message(2, shape);
  const type = new ProtoWriter().message(1, tt);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

export interface EncodeOptions {
  producer?: string;
  /** Also write value_info for every intermediate value (larger file; helps debugging). */
  valueInfo?: boolean;
}

export function encodeGraph(g: Graph, opts: EncodeOptions = {}): ProtoWriter {
  const w = new ProtoWriter(1 << 16);
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const [name, t] of g.initializers) w.message(5, encodeTensor(name, t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  if (opts.valueInfo) {
    const io = new Set([...g.inputs.map((i) => i.name), ...g.outputs.map((o) => o.name), ...g.initializers.keys()]);
    for (const [k, v] of g.values) if (!io.has(k)) w.message(13, encodeValueInfo(v));
  }
  return w;
}

/** Serialises a graph as an ONNX model (ModelProto bytes). */
export function encodeModel(g: Graph, opts: EncodeOptions = {}): Uint8Array {
  const m = new ProtoWriter(1 << 16);
  m.int(1, IR_VERSION);
  m.string(2, opts.producer ?? 'stvm-sfda');
  m.string(3, '0.1.0');
  m.message(7, encodeGraph(g, opts));
  m.message(8, new ProtoWriter().string(1, '').int(2, OPSET));
  return m.finish();
}
