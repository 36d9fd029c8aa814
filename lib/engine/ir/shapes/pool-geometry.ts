/**
 * Window geometry of MaxPool / AveragePool (NC + spatial layout), shared by shape inference and
 * the gradient rules. Output length per spatial axis, with e = (k−1)·d + 1 the dilated extent:
 *   floor mode: o = floor((in + pb + pe − e) / s) + 1
 *   ceil mode:  o = ceil((in + pb + pe − e) / s) + 1, then o −= 1 when (o−1)·s ≥ in + pb
 *               (the last window must start inside the input or its leading pad; PyTorch's rule,
 *               also what onnxruntime's kernel computes — ONNX's own shape inference omits it).
 * auto_pad SAME_UPPER/SAME_LOWER: o = ceil(in / s), total pad max(0, (o−1)s + e − in), the odd
 * unit at the end (UPPER) or the beginning (LOWER); VALID: no pads.
 */
import { attrInt, attrInts, attrString, type Node } from '../graph.js';
import type { Shape } from '../tensor.js';

export interface PoolGeometry {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  readonly padsBegin: number[];
  readonly padsEnd: number[];
  readonly ceil: boolean;
  /** Spatial input sizes. */
  readonly inSize: number[];
  /** Spatial output sizes. */
  readonly outSize: number[];
}

/** Error naming the op and the node (callers may wrap it into their own error type). */
export class PoolGeometryError extends Error {
  constructor(node: Node, msg: string) {
    super(`${node.op} node '${node.name}': ${msg}`);
    this.name = 'PoolGeometryError';
  }
}

export function poolGeometry(node: Node, xShape: Shape): PoolGeometry {
  const fail = (msg: string): never => { throw new PoolGeometryError(node, msg); };
  if (xShape.length < 3) fail(`input must have rank ≥ 3 (N, C, spatial...), got [${xShape.join(',')}]`);
  const inSize = xShape.slice(2);
  const r = inSize.length;
  const kernel = attrInts(node, 'kernel_shape', undefined) ?? fail('attribute kernel_shape is required');
  if (kernel.length !== r) fail(`kernel_shape has ${kernel.length} entries for ${r} spatial axes`);
  const strides = attrInts(node, 'strides', undefined) ?? inSize.map(() => 1);
  const dilations = attrInts(node, 'dilations', undefined) ?? inSize.map(() => 1);
  if (strides.length !== r || dilations.length !== r) fail(`strides/dilations need ${r} entries`);
  if ([...kernel, ...strides, ...dilations].some((v) => !Number.isInteger(v) || v < 1)) fail('kernel_shape, strides and dilations must be positive integers');
  const ceil = attrInt(node, 'ceil_mode', 0) === 1;
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ext = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  let padsBegin: number[];
  let padsEnd: number[];
  let outSize: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    if (node.attrs['pads'] !== undefined) fail('pads cannot be given together with auto_pad');
    outSize = inSize.map((d, i) => Math.ceil(d / strides[i]!));
    const total = outSize.map((o, i) => Math.max(0, (o - 1) * strides[i]! + ext[i]! - inSize[i]!));
    const small = total.map((t) => Math.floor(t / 2));
    padsBegin = autoPad === 'SAME_UPPER' ? small : total.map((t, i) => t - small[i]!);
    padsEnd = total.map((t, i) => t - padsBegin[i]!);
  } else {
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') fail(`unknown auto_pad '${autoPad}'`);
    const pads = autoPad === 'VALID' ? new Array<number>(2 * r).fill(0) : attrInts(node, 'pads', undefined) ?? new Array<number>(2 * r).fill(0);
    if (pads.length !== 2 * r || pads.some((p) => !Number.isInteger(p) || p < 0)) fail(`pads must hold ${2 * r} non-negative integers`);
    padsBegin = pads.slice(0, r);
    padsEnd = pads.slice(r);
    outSize = inSize.map((d, i) => {
      const span = d + padsBegin[i]! + padsEnd[i]! - ext[i]!;
      if (span < 0) fail(`the window (extent ${ext[i]}) is larger than the padded input (${d + padsBegin[i]! + padsEnd[i]!}) on spatial axis ${i}`);
      const s = strides[i]!;
      let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      if (ceil && (o - 1) * s >= d + padsBegin[i]!) o -= 1;
      return o;
    });
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, ceil, inSize, outSize };
}

/**
 * Whether ONNX's own shape inference (run by onnxruntime when it loads a model) gives another
 * output shape than the kernel computes: it applies ceil_mode without the last-window rule. Where
 * this is true, onnxruntime rejects a graph that combines the pool output with a tensor of the
 * true shape ("[ShapeInferenceError] Incompatible dimensions") unless the model declares the
 * output's shape in value_info (onnxruntime then warns "Error merging shape info ... Falling back
 * to lenient merge" and runs correctly).
 */
export function onnxPoolShapeDisagrees(geo: PoolGeometry): boolean {
  if (!geo.ceil) return false;
  return geo.outSize.some((o, i) => {
    const ext = (geo.kernel[i]! - 1) * geo.dilations[i]! + 1;
    return Math.ceil((geo.inSize[i]! + geo.padsBegin[i]! + geo.padsEnd[i]! - ext) / geo.strides[i]!) + 1 !== o;
  });
}

/**
 * End pads that make floor mode produce the ceil_mode output (same windows): pe' = max(pe,
 * (o−1)s + e − pb − in). For MaxPool (padding never wins) and AveragePool with
 * count_include_pad=0 (padding never counted) the values are unchanged; pe' < e always holds.
 * Undefined when floor mode cannot reproduce the shape.
 */
export function floorModeEndPads(geo: PoolGeometry): number[] | undefined {
  const pe = geo.outSize.map((o, i) => {
    const ext = (geo.kernel[i]! - 1) * geo.dilations[i]! + 1;
    return Math.max(geo.padsEnd[i]!, (o - 1) * geo.strides[i]! + ext - geo.padsBegin[i]! - geo.inSize[i]!);
  });
  const ok = geo.outSize.every((o, i) => {
    const ext = (geo.kernel[i]! - 1) * geo.dilations[i]! + 1;
    return Math.floor((geo.inSize[i]! + geo.padsBegin[i]! + pe[i]! - ext) / geo.strides[i]!) + 1 === o;
  });
  return ok ? pe : undefined;
}
