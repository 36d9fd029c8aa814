/**
 * Build-time constant folding: evaluates, in TypeScript, one node whose inputs are known
 * constants (the ONNX importer uses it for the small integer "shape arithmetic" subgraphs that
 * torch.onnx.export writes). Supported: Shape and Size (from the input's static shape alone),
 * Constant, ConstantOfShape, Identity, Cast, Reshape, Flatten, Squeeze, Unsqueeze, Concat,
 * Gather, Slice, Add/Sub/Mul/Div (integer and float, broadcasting; integer Div truncates like
 * onnxruntime), Equal, Where, Range, Floor, Ceil, Sqrt. Returns undefined whenever it cannot
 * (an unsupported op or dtype, a missing input, an invalid node, integer division by zero, an
 * out-of-range index, or an output larger than opts.maxElements).
 * Output shapes and dtypes come from the registered shape inference, so they always agree with
 * what the builder would infer for the same node.
 */
import { attrInt, type Node, type ValueInfo } from './graph.js';
import { shapeFn, type OutInfo } from './shape-registry.js';
import { resolveSlice } from './shapes/axes.js';
import { constantNodeValue, constantOfShapeValue, shapeRange } from './shapes/misc.js';
import { numel, tensor, toNumbers, type DType, type TensorData } from './tensor.js';
import { boxMap, broadcastMap, build, convert, elemAt, take, type Elem } from './fold-kernels.js';
import './shapes/index.js';

export interface FoldOptions {
  /** Largest output (elements) that is folded; default 1 << 20. */
  maxElements?: number;
}

const RESHAPING = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
const ARITH = new Set(['Add', 'Sub', 'Mul', 'Div']);
const FLOAT = new Set<DType>(['float32', 'float64']);

/**
 * The values of node's outputs, or undefined when they cannot be computed now.
 * inputs[i]: the constant value of input i (undefined if unknown or omitted);
 * infos[i]: its static dtype/shape when known (enough for Shape and Size).
 */
export function foldConstant(node: Node, inputs: readonly (TensorData | undefined)[],
  infos: readonly (ValueInfo | undefined)[] = [], opts: FoldOptions = {}): TensorData[] | undefined {
  if (node.domain !== undefined && node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  const info = (i: number): ValueInfo | undefined => {
    const t = inputs[i];
    if (t !== undefined) return { name: node.inputs[i] ?? '', dtype: t.dtype, shape: t.shape };
    return infos[i];
  };
  if (node.op === 'Shape' || node.op === 'Size') {
    const v = info(0);
    if (v === undefined) return undefined;
    if (node.op === 'Size') return [tensor('int64', [], [numel(v.shape)])];
    const [s, e] = shapeRange(node, v.shape.length);
    return [tensor('int64', [e - s], v.shape.slice(s, e))];
  }
  // every named input must be a constant
  if (node.inputs.some((n, i) => n !== '' && inputs[i] === undefined)) return undefined;
  const outs = inferOutputs(node, inputs, info);
  if (outs === undefined) return undefined;
  if (outs.some((o) => numel(o.shape) > (opts.maxElements ?? 1 << 20))) return undefined;
  try {
    return evaluate(node, inputs as (TensorData | undefined)[], outs);
  } catch {
    return undefined;
  }
}

function inferOutputs(node: Node, inputs: readonly (TensorData | undefined)[], info: (i: number) => ValueInfo | undefined): OutInfo[] | undefined {
  const fn = shapeFn(node.op);
  if (fn === undefined) return undefined;
  try {
    const outs = fn({ node, inputs: node.inputs.map((n, i) => (n === '' ? undefined : info(i))), constValue: (i) => inputs[i] });
    return outs.length >= node.outputs.length ? outs : undefined;
  } catch {
    return undefined;
  }
}

function evaluate(node: Node, x: (TensorData | undefined)[], outs: OutInfo[]): TensorData[] | undefined {
  const out = outs[0]!;
  const op = node.op;
  const one = (t: TensorData | undefined) => (t === undefined ? undefined : [t]);
  if (RESHAPING.has(op)) return [{ dtype: out.dtype, shape: [...out.shape], data: x[0]!.data.slice() }];
  if (ARITH.has(op)) return one(arith(op, x[0]!, x[1]!, out));
  switch (op) {
    case 'Constant': return one(constantNodeValue(node));
    case 'ConstantOfShape': {
      const v = elemAt(constantOfShapeValue(node), 0);
      return one(build(out.dtype, out.shape, () => v));
    }
    case 'Cast': return one(build(out.dtype, out.shape, (o) => convert(elemAt(x[0]!, o), out.dtype)));
    case 'Concat': return one(concat(x as TensorData[], attrInt(node, 'axis', 0), out));
    case 'Gather': return one(gather(x[0]!, x[1]!, attrInt(node, 'axis', 0), out));
    case 'Slice': return one(slice(x, out));
    case 'Equal': {
      const [ma, mb] = [broadcastMap(x[0]!.shape, out.shape), broadcastMap(x[1]!.shape, out.shape)];
      return one(build('bool', out.shape, (o) => (elemAt(x[0]!, ma[o]!) === elemAt(x[1]!, mb[o]!) ? 1 : 0)));
    }
    case 'Where': {
      const [mc, ma, mb] = x.map((t) => broadcastMap(t!.shape, out.shape)) as [Int32Array, Int32Array, Int32Array];
      return one(build(out.dtype, out.shape, (o) => (elemAt(x[0]!, mc[o]!) ? elemAt(x[1]!, ma[o]!) : elemAt(x[2]!, mb[o]!))));
    }
    case 'Range': return one(range(x as TensorData[], out));
    case 'Floor': case 'Ceil': case 'Sqrt': {
      if (!FLOAT.has(out.dtype)) return undefined;
      const f = op === 'Floor' ? Math.floor : op === 'Ceil' ? Math.ceil : Math.sqrt;
      return one(build(out.dtype, out.shape, (o) => f(elemAt(x[0]!, o) as number)));
    }
    default: return undefined;
  }
}

/** Add/Sub/Mul/Div with broadcasting; BigInt for int64, 32-bit wrap for int32, IEEE for floats. */
function arith(op: string, a: TensorData, b: TensorData, out: OutInfo): TensorData | undefined {
  const [ma, mb] = [broadcastMap(a.shape, out.shape), broadcastMap(b.shape, out.shape)];
  const dt = out.dtype;
  if (dt === 'int64') {
    return build(dt, out.shape, (o) => {
      const p = elemAt(a, ma[o]!) as bigint;
      const q = elemAt(b, mb[o]!) as bigint;
      if (op === 'Div' && q === 0n) return undefined;
      const r = op === 'Add' ? p + q : op === 'Sub' ? p - q : op === 'Mul' ? p * q : p / q;
      return BigInt.asIntN(64, r);
    });
  }
  if (dt === 'int32') {
    return build(dt, out.shape, (o) => {
      const p = elemAt(a, ma[o]!) as number;
      const q = elemAt(b, mb[o]!) as number;
      if (op === 'Div' && q === 0) return undefined;
      return op === 'Add' ? (p + q) | 0 : op === 'Sub' ? (p - q) | 0 : op === 'Mul' ? Math.imul(p, q) : Math.trunc(p / q) | 0;
    });
  }
  if (!FLOAT.has(dt)) return undefined;
  return build(dt, out.shape, (o) => {
    const p = elemAt(a, ma[o]!) as number;
    const q = elemAt(b, mb[o]!) as number;
    return op === 'Add' ? p + q : op === 'Sub' ? p - q : op === 'Mul' ? p * q : p / q;
  });
}

function concat(xs: TensorData[], axisAttr: number, out: OutInfo): TensorData | undefined {
  const r = out.shape.length;
  const axis = axisAttr < 0 ? axisAttr + r : axisAttr;
  const inner = numel(out.shape.slice(axis + 1));
  const parts = xs.map((t) => ({ t, rows: t.shape[axis]! }));
  const cols = out.shape[axis]!;
  return build(out.dtype, out.shape, (o) => {
    const q = o % inner;
    let k = Math.floor(o / inner) % cols;
    const p = Math.floor(o / (inner * cols));
    for (const { t, rows } of parts) {
      if (k < rows) return elemAt(t, (p * rows + k) * inner + q);
      k -= rows;
    }
    return undefined;
  });
}

function gather(data: TensorData, indices: TensorData, axisAttr: number, out: OutInfo): TensorData | undefined {
  const r = data.shape.length;
  const axis = axisAttr < 0 ? axisAttr + r : axisAttr;
  const n = data.shape[axis]!;
  const inner = numel(data.shape.slice(axis + 1));
  const idx = toNumbers(indices).map((v) => (v < 0 ? v + n : v));
  if (idx.some((v) => v < 0 || v >= n)) return undefined;
  const K = idx.length;
  const map = new Int32Array(numel(out.shape));
  for (let o = 0; o < map.length; o++) {
    const q = o % inner;
    const k = Math.floor(o / inner) % K;
    const p = Math.floor(o / (inner * K));
    map[o] = (p * n + idx[k]!) * inner + q;
  }
  return take(data, map, out.shape);
}

function slice(x: (TensorData | undefined)[], out: OutInfo): TensorData | undefined {
  const data = x[0]!;
  const ints = (i: number) => (x[i] === undefined ? undefined : toNumbers(x[i]!));
  const sl = resolveSlice(data.shape, ints(1)!, ints(2)!, ints(3), ints(4));
  if (typeof sl === 'string') return undefined;
  return take(data, boxMap(data.shape, sl.map((s) => s.start), sl.map((s) => s.step), out.shape), out.shape);
}

/** Range as onnxruntime computes it: v_0 = start, v_{k+1} = v_k + delta, in the output type. */
function range(x: TensorData[], out: OutInfo): TensorData | undefined {
  const [start, , delta] = x.map((t) => elemAt(t, 0));
  let v: Elem = start!;
  return build(out.dtype, out.shape, () => {
    const cur = v;
    v = typeof v === 'bigint' ? v + (delta as bigint) : v + (delta as number);
    if (out.dtype === 'float32') v = Math.fround(v as number);
    return cur;
  });
}
