/**
 * Resize (opset 13–17) geometry, computed the way onnxruntime's CPU kernel does, in float32:
 *   given scales s (float32):  out_i = floor(fround(s_i · in_i)),  coordinate scale = s_i
 *   given sizes:               out_i = sizes_i,                   coordinate scale = fround(out_i / in_i)
 * Exactly one of scales / sizes must be a non-empty constant (the other omitted or empty).
 */
import type { Node } from '../graph.js';
import { toNumbers, type Shape, type TensorData } from '../tensor.js';

export interface ResizeGeometry {
  readonly inSize: number[];
  readonly outSize: number[];
  /** Per-axis float32 scale used by the coordinate transformation. */
  readonly scales: number[];
}

export class ResizeGeometryError extends Error {
  constructor(node: Node, msg: string) {
    super(`${node.op} node '${node.name}': ${msg}`);
    this.name = 'ResizeGeometryError';
  }
}

/**
 * scalesT / sizesT: the constant values of inputs 2 and 3 (undefined when omitted); `present`
 * says which of them are wired to something (a non-constant one is an error: shapes are static).
 */
export function resizeGeometry(node: Node, xShape: Shape, scalesT: TensorData | undefined, sizesT: TensorData | undefined,
  present: { scales: boolean; sizes: boolean }): ResizeGeometry {
  const fail = (msg: string): never => { throw new ResizeGeometryError(node, msg); };
  if (present.scales && scalesT === undefined) fail('scales is not a build-time constant, so the output shape cannot be resolved statically');
  if (present.sizes && sizesT === undefined) fail('sizes is not a build-time constant, so the output shape cannot be resolved statically');
  const sc = scalesT && scalesT.data.length > 0 ? Array.from(scalesT.data as Float32Array, (v) => Math.fround(Number(v))) : undefined;
  const sz = sizesT && sizesT.data.length > 0 ? toNumbers(sizesT) : undefined;
  const r = xShape.length;
  const inSize = [...xShape];
  if (sc !== undefined && sz !== undefined) fail('only one of scales and sizes may be given');
  if (sc !== undefined) {
    if (sc.length !== r) fail(`scales has ${sc.length} entries for an input of rank ${r}`);
    if (sc.some((s) => !(s > 0))) fail(`scales must be positive, got [${sc.join(',')}]`);
    const outSize = inSize.map((d, i) => Math.floor(Math.fround(sc[i]! * d)));
    if (outSize.some((o) => o < 1)) fail(`scales [${sc.join(',')}] give an empty output for input [${inSize.join(',')}]`);
    return { inSize, outSize, scales: sc };
  }
  if (sz === undefined) return fail('one of scales and sizes must be a non-empty constant');
  if (sz.length !== r) fail(`sizes has ${sz.length} entries for an input of rank ${r}`);
  if (sz.some((s) => !Number.isInteger(s) || s < 1)) fail(`sizes must be positive integers, got [${sz.join(',')}]`);
  return { inSize, outSize: sz, scales: sz.map((o, i) => Math.fround(o / inSize[i]!)) };
}

/**
 * Whether ONNX's own shape inference (run by onnxruntime at load time) gives another output
 * shape than the kernel: it floors in · s in float64 while the kernel rounds the product to
 * float32 first (e.g. 10 × 0.7f → 6 against 7). onnxruntime then refuses graphs where the output
 * meets a tensor of the true shape; a Reshape to the true shape after the node avoids it.
 */
export function onnxResizeShapeDisagrees(geo: ResizeGeometry, scalesGiven: boolean): boolean {
  return scalesGiven && geo.inSize.some((d, i) => Math.floor(d * geo.scales[i]!) !== geo.outSize[i]);
}
