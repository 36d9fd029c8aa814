/**
 * Shape inference for the linear layers: Conv, ConvTranspose (N-D, NCHW-style layout),
 * Gemm, MatMul (numpy semantics), BatchNormalization (opset 15), LayerNormalization (opset 17)
 * and Pad (opset 13–17).
 * Only explicit padding is supported (auto_pad NOTSET); anything else is a ShapeError naming
 * the node.
 */
import { attrInt, attrInts, attrString, type Node } from '../graph.js';
import { registerShape, need, needConst, ShapeError, type InferContext } from '../shape-registry.js';
import { sameShape, shapeStr, toNumbers } from '../tensor.js';
import { broadcastShapes } from './broadcast.js';

/** Resolved spatial attributes of a Conv/ConvTranspose node with k spatial axes. */
export interface ConvAttrs {
  strides: number[];
  dilations: number[];
  /** ONNX layout: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
  pads: number[];
  group: number;
}

/** Reads strides/dilations/pads/group of a Conv-like node, rejecting auto_pad other than NOTSET. */
export function convAttrs(node: Node, k: number, kernel: readonly number[]): ConvAttrs {
  const fail = (msg: string): never => { throw new ShapeError(node, msg); };
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET') fail(`auto_pad '${autoPad}' is not supported (only NOTSET with explicit pads)`);
  const ks = attrInts(node, 'kernel_shape', undefined);
  if (ks !== undefined && (ks.length !== k || ks.some((v, i) => v !== kernel[i]))) {
    fail(`kernel_shape [${ks.join(',')}] does not match the weight's spatial shape [${kernel.join(',')}]`);
  }
  const strides = attrInts(node, 'strides', new Array<number>(k).fill(1))!;
  const dilations = attrInts(node, 'dilations', new Array<number>(k).fill(1))!;
  const pads = attrInts(node, 'pads', new Array<number>(2 * k).fill(0))!;
  if (strides.length !== k || strides.some((s) => s < 1)) fail(`strides [${strides.join(',')}] must be ${k} values >= 1`);
  if (dilations.length !== k || dilations.some((s) => s < 1)) fail(`dilations [${dilations.join(',')}] must be ${k} values >= 1`);
  if (pads.length !== 2 * k || pads.some((p) => p < 0)) fail(`pads [${pads.join(',')}] must be ${2 * k} values >= 0`);
  const group = attrInt(node, 'group', 1);
  if (group < 1) fail(`group ${group} must be >= 1`);
  return { strides, dilations, pads, group };
}

/** Output spatial size of a convolution: floor((in + pb + pe − d(k−1) − 1)/s) + 1. */
export function convOutSize(inSize: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((inSize + pb + pe - d * (k - 1) - 1) / s) + 1;
}

function rankCheck(ctx: InferContext, x: readonly number[], w: readonly number[]): number {
  if (x.length < 3) throw new ShapeError(ctx.node, `input ${shapeStr(x)} must have rank >= 3 (N, C, spatial...)`);
  if (w.length !== x.length) throw new ShapeError(ctx.node, `weight ${shapeStr(w)} and input ${shapeStr(x)} differ in rank`);
  return x.length - 2;
}

registerShape('Conv', (ctx) => {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const k = rankCheck(ctx, x.shape, w.shape);
  const kernel = w.shape.slice(2);
  const a = convAttrs(ctx.node, k, kernel);
  const [n, c] = x.shape as [number, number];
  const m = w.shape[0]!;
  if (c % a.group !== 0 || m % a.group !== 0 || w.shape[1]! * a.group !== c) {
    throw new ShapeError(ctx.node, `input ${shapeStr(x.shape)}, weight ${shapeStr(w.shape)} and group ${a.group} do not agree`);
  }
  const b = ctx.inputs[2];
  if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== m)) throw new ShapeError(ctx.node, `bias ${shapeStr(b.shape)} must be [${m}]`);
  const spatial = kernel.map((kk, i) => convOutSize(x.shape[2 + i]!, kk, a.strides[i]!, a.dilations[i]!, a.pads[i]!, a.pads[k + i]!));
  if (spatial.some((s) => s < 1)) throw new ShapeError(ctx.node, `input ${shapeStr(x.shape)} is too small for kernel ${shapeStr(kernel)} (output [${spatial.join(',')}])`);
  return [{ dtype: x.dtype, shape: [n, m, ...spatial] }];
});

registerShape('ConvTranspose', (ctx) => {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const k = rankCheck(ctx, x.shape, w.shape);
  const kernel = w.shape.slice(2);
  const a = convAttrs(ctx.node, k, kernel);
  if (ctx.node.attrs['output_shape'] !== undefined) throw new ShapeError(ctx.node, 'output_shape is not supported; give pads and output_padding');
  const op = attrInts(ctx.node, 'output_padding', new Array<number>(k).fill(0))!;
  if (op.length !== k || op.some((v) => v < 0)) throw new ShapeError(ctx.node, `output_padding [${op.join(',')}] must be ${k} values >= 0`);
  const [n, c] = x.shape as [number, number];
  if (w.shape[0] !== c || c % a.group !== 0) throw new ShapeError(ctx.node, `input ${shapeStr(x.shape)}, weight ${shapeStr(w.shape)} and group ${a.group} do not agree`);
  const m = w.shape[1]! * a.group;
  const b = ctx.inputs[2];
  if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== m)) throw new ShapeError(ctx.node, `bias ${shapeStr(b.shape)} must be [${m}]`);
  const spatial = kernel.map((kk, i) => a.strides[i]! * (x.shape[2 + i]! - 1) + op[i]! + a.dilations[i]! * (kk - 1) + 1 - a.pads[i]! - a.pads[k + i]!);
  if (spatial.some((s) => s < 1)) throw new ShapeError(ctx.node, `output spatial shape [${spatial.join(',')}] is empty`);
  return [{ dtype: x.dtype, shape: [n, m, ...spatial] }];
});

registerShape('Gemm', (ctx) => {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(ctx.node, `A ${shapeStr(a.shape)} and B ${shapeStr(b.shape)} must be 2-D`);
  const ta = attrInt(ctx.node, 'transA', 0) === 1;
  const tb = attrInt(ctx.node, 'transB', 0) === 1;
  const [m, ka] = ta ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = tb ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) throw new ShapeError(ctx.node, `inner dimensions differ: A' is [${m},${ka}], B' is [${kb},${n}]`);
  const c = ctx.inputs[2];
  if (c !== undefined) {
    const bc = broadcastShapes([c.shape, [m, n]]);
    if (c.shape.length > 2 || bc === undefined || bc[0] !== m || bc[1] !== n) {
      throw new ShapeError(ctx.node, `C ${shapeStr(c.shape)} does not broadcast to [${m},${n}]`);
    }
  }
  return [{ dtype: a.dtype, shape: [m, n] }];
});

/** Output shape of numpy-style matmul, or an error message. */
export function matmulShape(as: readonly number[], bs: readonly number[]): number[] | string {
  if (as.length === 0 || bs.length === 0) return 'operands must have rank >= 1';
  const a2 = as.length === 1 ? [1, as[0]!] : as;
  const b2 = bs.length === 1 ? [bs[0]!, 1] : bs;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (k1 !== k2) return `inner dimensions differ (${k1} vs ${k2})`;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (batch === undefined) return `batch dimensions [${a2.slice(0, -2).join(',')}] and [${b2.slice(0, -2).join(',')}] do not broadcast`;
  const out = [...batch];
  if (as.length > 1) out.push(a2[a2.length - 2]!);
  if (bs.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

registerShape('MatMul', (ctx) => {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  const s = matmulShape(a.shape, b.shape);
  if (typeof s === 'string') throw new ShapeError(ctx.node, `A ${shapeStr(a.shape)} × B ${shapeStr(b.shape)}: ${s}`);
  return [{ dtype: a.dtype, shape: s }];
});

registerShape('BatchNormalization', (ctx) => {
  const x = need(ctx, 0);
  if (x.shape.length < 2) throw new ShapeError(ctx.node, `input ${shapeStr(x.shape)} must have rank >= 2`);
  const c = x.shape[1]!;
  for (let i = 1; i <= 4; i++) {
    const v = need(ctx, i);
    if (v.shape.length !== 1 || v.shape[0] !== c) throw new ShapeError(ctx.node, `input ${i} ${shapeStr(v.shape)} must be [${c}]`);
  }
  const tm = attrInt(ctx.node, 'training_mode', 0);
  if (tm !== 0 && tm !== 1) throw new ShapeError(ctx.node, `training_mode ${tm} must be 0 or 1`);
  if (ctx.node.outputs.length > 3) throw new ShapeError(ctx.node, 'at most 3 outputs (opset 15: Y, running_mean, running_var)');
  if (tm === 0 && ctx.node.outputs.slice(1).some((o) => o !== '')) throw new ShapeError(ctx.node, 'running_mean/running_var outputs need training_mode=1');
  const stat = need(ctx, 3);
  return [{ dtype: x.dtype, shape: x.shape }, { dtype: stat.dtype, shape: [c] }, { dtype: need(ctx, 4).dtype, shape: [c] }];
});

/**
 * LayerNormalization (opset 17): Scale and B (optional) of exactly the normalised shape
 * X.shape[axis:] (what torch.onnx exports; no broadcasting), stash_type 1 (float32 statistics);
 * Mean and InvStdDev have X's shape with the normalised axes set to 1.
 */
registerShape('LayerNormalization', (ctx) => {
  const x = need(ctx, 0);
  const r = x.shape.length;
  const axis = attrInt(ctx.node, 'axis', -1);
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) throw new ShapeError(ctx.node, `axis ${axis} is out of range for rank ${r}`);
  const norm = x.shape.slice(a);
  for (const i of [1, 2]) {
    if (i === 2 && ctx.inputs[2] === undefined) continue;
    const v = need(ctx, i);
    if (!sameShape(v.shape, norm)) throw new ShapeError(ctx.node, `input ${i} ${shapeStr(v.shape)} must have the normalised shape ${shapeStr(norm)}`);
    if (v.dtype !== x.dtype) throw new ShapeError(ctx.node, `input ${i} is ${v.dtype}, X is ${x.dtype}`);
  }
  const stash = attrInt(ctx.node, 'stash_type', 1);
  if (stash !== 1) throw new ShapeError(ctx.node, `stash_type ${stash} is not supported (1: float32 statistics)`);
  if (ctx.node.outputs.length > 3) throw new ShapeError(ctx.node, 'at most 3 outputs (Y, Mean, InvStdDev)');
  const stat = x.shape.map((d, i) => (i < a ? d : 1));
  return [{ dtype: x.dtype, shape: x.shape }, { dtype: 'float32', shape: stat }, { dtype: 'float32', shape: stat }];
});

/** The constant pads of a Pad node as [begins, ends] per axis. */
export function padAmounts(ctx: InferContext, rank: number): { begin: number[]; end: number[] } {
  const pads = toNumbers(needConst(ctx, 1, 'pads'));
  if (pads.length !== 2 * rank) throw new ShapeError(ctx.node, `pads has ${pads.length} values, ${2 * rank} expected for rank ${rank}`);
  return { begin: pads.slice(0, rank), end: pads.slice(rank) };
}

registerShape('Pad', (ctx) => {
  const x = need(ctx, 0);
  const r = x.shape.length;
  const mode = attrString(ctx.node, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw new ShapeError(ctx.node, `mode '${mode}' is not supported (constant, reflect, edge)`);
  if (ctx.inputs[3] !== undefined) throw new ShapeError(ctx.node, 'the axes input is opset 18; opset 17 pads every axis');
  const { begin, end } = padAmounts(ctx, r);
  const out = x.shape.map((d, i) => d + begin[i]! + end[i]!);
  if (out.some((d) => d < 0)) throw new ShapeError(ctx.node, `pads [${[...begin, ...end].join(',')}] crop more than ${shapeStr(x.shape)}`);
  if (mode === 'reflect' && x.shape.some((d, i) => begin[i]! >= d || end[i]! >= d)) {
    throw new ShapeError(ctx.node, `reflect pads [${[...begin, ...end].join(',')}] must be smaller than the dims ${shapeStr(x.shape)}`);
  }
  const cv = ctx.inputs[2];
  if (cv !== undefined && cv.shape.reduce((a, b) => a * b, 1) !== 1) throw new ShapeError(ctx.node, `constant_value ${shapeStr(cv.shape)} must be a scalar`);
  return [{ dtype: x.dtype, shape: out }];
});
