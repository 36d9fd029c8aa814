/**
 * 2-D convolution (NCHW) backward pieces. Notation: X[N,C,H,W], W[M,C/group,kh,kw],
 * dY[N,M,Ho,Wo], stride s, dilation d, pads pt,pl (begin) and pb,pr (end),
 * Ho = floor((H+pt+pb−d(kh−1)−1)/s)+1 (same for the width).
 *
 * - dX, stride 1: Conv(dY, flip180(W) with in/out channels swapped), same dilation,
 *   pads d(k−1)−p_begin / d(k−1)−p_end (when all are >= 0); the flip is one MatMul of W's
 *   [M·C, kh·kw] view by the anti-identity (small DeepLab, kernel profile: the 20 Slices with
 *   negative steps took 54 ms per step, 11 ms for a 512×512×3×3 weight; the MatMuls 13–16 ms).
 * - dX, otherwise: ConvTranspose(dY, W) with the forward strides/dilations/pads and
 *   output_padding = H+pt+pb−(Ho−1)s−d(kh−1)−1 (always in [0, s−1]).
 * - dW, 1×1 kernel, stride 1, no pads: one Gemm  dW[M,C] = dY[M,N·H·W] · X[C,N·H·W]ᵀ.
 * - dW, k×k kernel: im2col by one Gather and one Gemm (convGradTuning below; the default), or
 *   for few input channels one Conv with dY as the kernel.
 * - dW, "taps": Xp = Pad(Transpose(X,[1,0,2,3])); per kernel tap (i,j)
 *   S = Slice(Xp, start (i·d, j·d), step s) → [C,N·Ho·Wo], T = Gemm(dYᵀ, S, transB) → [M,C];
 *   dW = Reshape(Concat_k T, [M,C,kh,kw]).
 * - dW, depthwise (group == C == M): one grouped Conv of X with dY as the kernel (default), or
 *   per tap ReduceSum(Slice(Xp)·dY, [0,2,3]), concatenated (DepthwiseWeightGradMethod below).
 */
import type { GraphBuilder } from '../../ir/builder.js';
import type { Node } from '../../ir/graph.js';
import { convAttrs, convOutSize } from '../../ir/shapes/nn-linear.js';
import { flip, reshape, slice, transpose, UnsupportedGradError } from './nn-util.js';

export interface Conv2d {
  n: number; c: number; h: number; w: number; m: number; kh: number; kw: number;
  ho: number; wo: number;
  s: [number, number]; d: [number, number];
  /** [top, left, bottom, right] as in the ONNX pads attribute. */
  pads: [number, number, number, number];
  depthwise: boolean;
}

/** Resolves and validates a Conv node for the 2-D gradient (group 1 or depthwise only). */
export function conv2d(g: GraphBuilder, node: Node): Conv2d {
  const xs = g.shape(node.inputs[0]!);
  const ws = g.shape(node.inputs[1]!);
  if (xs.length !== 4) throw new UnsupportedGradError(node, `only 2-D convolutions (NCHW) are supported, input is [${xs.join(',')}]`);
  const [n, c, h, w] = xs as [number, number, number, number];
  const [m, , kh, kw] = ws as [number, number, number, number];
  const a = convAttrs(node, 2, [kh, kw]);
  const depthwise = a.group !== 1 && a.group === c && m === c;
  if (a.group !== 1 && !depthwise) {
    throw new UnsupportedGradError(node, `group=${a.group} is not supported (only 1, or depthwise with group == C == M; here C=${c}, M=${m})`);
  }
  const [sh, sw] = a.strides as [number, number];
  const [dh, dw] = a.dilations as [number, number];
  const pads = a.pads as [number, number, number, number];
  return {
    n, c, h, w, m, kh, kw, s: [sh, sw], d: [dh, dw], pads, depthwise,
    ho: convOutSize(h, kh, sh, dh, pads[0], pads[2]),
    wo: convOutSize(w, kw, sw, dw, pads[1], pads[3]),
  };
}

function convAttrsOut(p: Conv2d, pads: readonly number[]): Record<string, number | number[]> {
  const at: Record<string, number | number[]> = {};
  if (p.d[0] !== 1 || p.d[1] !== 1) at['dilations'] = [...p.d];
  if (pads.some((v) => v !== 0)) at['pads'] = [...pads];
  if (p.depthwise) at['group'] = p.c;
  return at;
}

/** dX of a 2-D convolution. */
export function convInputGrad(g: GraphBuilder, p: Conv2d, dy: string, w: string): string {
  const ext = [p.d[0] * (p.kh - 1), p.d[1] * (p.kw - 1)];
  const fpads = [ext[0]! - p.pads[0], ext[1]! - p.pads[1], ext[0]! - p.pads[2], ext[1]! - p.pads[3]];
  if (convGradTuning.inputGrad === 'flip' && p.s[0] === 1 && p.s[1] === 1 && fpads.every((v) => v >= 0)) {
    let wf = convGradTuning.flip === 'matmul' ? flipByMatMul(g, w) : flip(g, w, [2, 3]);
    if (!p.depthwise) wf = transpose(g, wf, [1, 0, 2, 3]);
    return g.op1('Conv', [dy, wf], convAttrsOut(p, fpads));
  }
  const opad = [
    p.h + p.pads[0] + p.pads[2] - (p.ho - 1) * p.s[0] - ext[0]! - 1,
    p.w + p.pads[1] + p.pads[3] - (p.wo - 1) * p.s[1] - ext[1]! - 1,
  ];
  const at = convAttrsOut(p, p.pads);
  if (p.s[0] !== 1 || p.s[1] !== 1) at['strides'] = [...p.s];
  if (opad.some((v) => v !== 0)) at['output_padding'] = opad;
  return g.op1('ConvTranspose', [dy, w], at);
}

/**
 * flip180 of a weight [M, C, kh, kw] as one MatMul of its [M·C, kh·kw] view with the
 * anti-identity J[kh·kw, kh·kw] (exact for finite weights: each output is one weight times 1
 * plus zeros).
 */
function flipByMatMul(g: GraphBuilder, w: string): string {
  const [m, c, kh, kw] = g.shape(w) as [number, number, number, number];
  const k2 = kh * kw;
  if (k2 === 1) return w;
  const j = new Float32Array(k2 * k2);
  for (let t = 0; t < k2; t++) j[t * k2 + (k2 - 1 - t)] = 1;
  const jm = g.constant({ dtype: 'float32', shape: [k2, k2], data: j }, 'flip_j');
  return reshape(g, g.op1('MatMul', [reshape(g, w, [m * c, k2]), jm]), [m, c, kh, kw]);
}

/** Channel-major view [C, N, ...] of an NCHW tensor (a Reshape when N = 1). */
function channelMajor(g: GraphBuilder, x: string): string {
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  return n === 1 ? reshape(g, x, [c, 1, h, w]) : transpose(g, x, [1, 0, 2, 3]);
}

/** Pads the spatial axes of a 4-D tensor by [top, left, bottom, right] (no node when all 0). */
function padSpatial(g: GraphBuilder, x: string, pads: readonly number[]): string {
  if (pads.every((v) => v === 0)) return x;
  return g.op1('Pad', [x, g.constI64([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!])]);
}

/** Bottom/right pads actually read by some window (rows past the last window are not needed). */
function usedPads(p: Conv2d): number[] {
  const needH = (p.ho - 1) * p.s[0] + p.d[0] * (p.kh - 1) + 1 - p.h - p.pads[0];
  const needW = (p.wo - 1) * p.s[1] + p.d[1] * (p.kw - 1) + 1 - p.w - p.pads[1];
  return [p.pads[0], p.pads[1], Math.max(0, Math.min(p.pads[2], needH)), Math.max(0, Math.min(p.pads[3], needW))];
}

/** The strided window of tap (i, j) on the spatial axes of a padded tensor. */
function tap(g: GraphBuilder, p: Conv2d, xp: string, i: number, j: number): string {
  const r0 = i * p.d[0];
  const c0 = j * p.d[1];
  const sh = g.shape(xp);
  const full = r0 === 0 && c0 === 0 && p.s[0] === 1 && p.s[1] === 1 && sh[2] === p.ho && sh[3] === p.wo;
  if (full) return xp;
  return slice(g, xp, [r0, c0], [r0 + (p.ho - 1) * p.s[0] + 1, c0 + (p.wo - 1) * p.s[1] + 1], [2, 3], [...p.s]);
}

/**
 * How dW of a group-1 convolution with a k×k kernel, k > 1, is formed (all exact):
 * - 'gather' (default): im2col in channel-last layout by ONE Gather. Xr = Reshape(Transpose(X,
 *   [0,2,3,1]), [N·H·W, C]) followed by one zero row (index N·H·W; a Pad of one row, only when
 *   some window reads the padding); S = Gather(Xr, I, axis 0) with constant indices I
 *   [N·Ho·Wo, k'] (the input row each output pixel reads at each live tap, or the zero row) →
 *   [N·Ho·Wo, k'·C] (contiguous C-element copies), then ONE Gemm(dYᵀ [M, N·Ho·Wo], S) →
 *   [M, k'·C], reordered to [M, C, kh, kw]. Live taps: those that read at least one real input
 *   element; a dead tap (dilation ≥ the input size: DeepLab's ASPP at rate 24 on a 23-row map
 *   has 6 of 9) gets a zero gradient without entering the Gather or the Gemm. Convolutions
 *   reading the same X (ASPP branches) share Xr. With at most `convWeightGradMaxC` input
 *   channels (the first layer: rows of 3 floats), 'conv' is used instead.
 * - 'gather-pad': the same im2col over Pad(Transpose(X)) padded spatially (the padded copy is
 *   up to 8× the input for ASPP rate 24), every tap kept.
 * - 'conv': ONE Conv of X channel-major ([C, N, H, W]) with dY channel-major ([M, N, Ho, Wo]) as
 *   the kernel, the forward stride as dilation and the forward dilation as stride → [C, M, kh, kw],
 *   transposed.
 * - 'taps': one strided Slice and one Gemm per kernel tap (see the file comment).
 * Measured on the small DeepLab (bench/engine-dw-ab.ts, all its convs' dW, paired A/B, 2 threads):
 * gather-pad/taps 0.72 (the single large Gemm runs faster than k² small ones, and the one Gather
 * replaces k² Slices); slower alternatives tried: the k² slices concatenated and one Gemm
 * (0.93 of taps: the Concat is a second copy), kh row windows × kw column-shifted dY copies
 * (1.03), channel-last slices + Concat (1.06 of concat); of gather-pad: the Gemm on transposed
 * operands 1.47, a batched MatMul per image + ReduceSum over N (no dY transpose) 1.04.
 * gather against gather-pad and conv for C ≤ 4: see bench/results/engine-notes.md.
 */
export type ConvWeightGradMethod = 'taps' | 'gather' | 'gather-pad' | 'conv';
/**
 * dW of a depthwise convolution (group == C == M; both exact):
 * - 'conv' (default): ONE grouped Conv in which dY is the kernel. Per channel c,
 *   dW[c,0,i,j] = Σ_{n,y,x} X[n,c, y·s+i·d − pt, x·s+j·d − pl] · dY[n,c,y,x], i.e. a convolution of
 *   X (channel-major, [1, C·N, H, W]) with the kernel dY ([C, N, Ho, Wo]), group C, the forward
 *   stride as its dilation, the forward dilation as its stride, the forward top/left pads and the
 *   bottom/right pads the last window reads; output [1, C, kh, kw].
 * - 'taps': per kernel tap one strided Slice of X, a Mul by dY and a ReduceSum over N, H, W
 *   (three activation-sized passes per tap).
 */
export type DepthwiseWeightGradMethod = 'taps' | 'conv';
/**
 * dX of a stride-1 convolution: 'flip' Conv(dY, flip180(W)ᵀ) (default) or 'convT'
 * ConvTranspose(dY, W) (both exact; convT/flip paired 1.05 on the small DeepLab step).
 */
export type ConvInputGradMethod = 'flip' | 'convT';
/** How 'flip' reverses the kernel: one Slice with negative steps, or one MatMul by the anti-identity. */
export type ConvFlipMethod = 'slice' | 'matmul';
export const convGradTuning: { weightGrad: ConvWeightGradMethod; depthwiseWeightGrad: DepthwiseWeightGradMethod; inputGrad: ConvInputGradMethod; flip: ConvFlipMethod; convWeightGradMaxC: number } = { weightGrad: 'gather', depthwiseWeightGrad: 'conv', inputGrad: 'flip', flip: 'matmul', convWeightGradMaxC: 4 };

/** dW of a 2-D convolution. */
export function convWeightGrad(g: GraphBuilder, p: Conv2d, x: string, dy: string): string {
  if (p.depthwise) return depthwiseWeightGrad(g, p, x, dy);
  const m = convGradTuning.weightGrad;
  if (p.kh * p.kw > 1 && (m === 'conv' || (m === 'gather' && p.c <= convGradTuning.convWeightGradMaxC))) return convWeightGradByConv(g, p, x, dy);
  if (p.kh * p.kw > 1 && m !== 'taps') return gatherWeightGrad(g, p, x, dy);
  const P = p.n * p.ho * p.wo;
  const dyt = reshape(g, channelMajor(g, dy), [p.m, P]);
  const xp = padSpatial(g, channelMajor(g, x), usedPads(p));
  const taps: string[] = [];
  for (let i = 0; i < p.kh; i++) {
    for (let j = 0; j < p.kw; j++) {
      const s = reshape(g, tap(g, p, xp, i, j), [p.c, P]);
      taps.push(g.op1('Gemm', [dyt, s], { transB: 1 }));
    }
  }
  if (taps.length === 1) return reshape(g, taps[0]!, [p.m, p.c, 1, 1]);
  const cat = g.op1('Concat', taps.map((t) => reshape(g, t, [p.m, p.c, 1])), { axis: 2 });
  return reshape(g, cat, [p.m, p.c, p.kh, p.kw]);
}

/** The im2col row indices [N·Ho·Wo, kh·kw] into the padded channel-last rows [N·Hp·Wp] (int32). */
function im2colIndices(p: Conv2d, hp: number, wp: number): Int32Array {
  const k2 = p.kh * p.kw;
  const idx = new Int32Array(p.n * p.ho * p.wo * k2);
  let o = 0;
  for (let n = 0; n < p.n; n++) {
    for (let y = 0; y < p.ho; y++) {
      for (let x = 0; x < p.wo; x++) {
        for (let i = 0; i < p.kh; i++) {
          const row = (n * hp + y * p.s[0] + i * p.d[0]) * wp;
          for (let j = 0; j < p.kw; j++) idx[o++] = row + x * p.s[1] + j * p.d[1];
        }
      }
    }
  }
  return idx;
}

/**
 * The im2col row indices [N·Ho·Wo, taps.length] into the UNPADDED channel-last rows [N·H·W]
 * followed by one zero row (index N·H·W), which every tap position in the padding reads.
 */
function im2colIndicesZeroRow(p: Conv2d, taps: readonly number[]): Int32Array {
  const zero = p.n * p.h * p.w;
  const idx = new Int32Array(p.n * p.ho * p.wo * taps.length);
  let o = 0;
  for (let n = 0; n < p.n; n++) {
    for (let y = 0; y < p.ho; y++) {
      for (let x = 0; x < p.wo; x++) {
        for (const t of taps) {
          const iy = y * p.s[0] - p.pads[0] + Math.floor(t / p.kw) * p.d[0];
          const ix = x * p.s[1] - p.pads[1] + (t % p.kw) * p.d[1];
          idx[o++] = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w ? (n * p.h + iy) * p.w + ix : zero;
        }
      }
    }
  }
  return idx;
}

/** Whether some output position reads a real (unpadded) row along one axis for kernel offset i. */
function tapAxisLive(i: number, out: number, stride: number, dil: number, padBegin: number, size: number): boolean {
  for (let y = 0; y < out; y++) {
    const v = y * stride - padBegin + i * dil;
    if (v >= 0 && v < size) return true;
  }
  return false;
}

/** Kernel taps (row-major index i·kw + j) that read at least one real input element. */
export function liveTaps(p: Conv2d): number[] {
  const taps: number[] = [];
  for (let i = 0; i < p.kh; i++) {
    if (!tapAxisLive(i, p.ho, p.s[0], p.d[0], p.pads[0], p.h)) continue;
    for (let j = 0; j < p.kw; j++) if (tapAxisLive(j, p.wo, p.s[1], p.d[1], p.pads[1], p.w)) taps.push(i * p.kw + j);
  }
  return taps;
}

/**
 * Values built once per graph and key, shared by every convolution that asks again: the im2col
 * index constants (the blocks of a network share their geometry) and the channel-last copy of an
 * input (the ASPP branches read the same X).
 */
const graphMemo = new WeakMap<GraphBuilder, Map<string, string>>();

function memoized(g: GraphBuilder, key: string, make: () => string): string {
  const cache = graphMemo.get(g) ?? new Map<string, string>();
  graphMemo.set(g, cache);
  const hit = cache.get(key);
  if (hit !== undefined && g.has(hit)) return hit;
  const v = make();
  cache.set(key, v);
  return v;
}

function cachedIndex(g: GraphBuilder, key: string, shape: number[], make: () => Int32Array): string {
  return memoized(g, `idx|${key}`, () => g.constant({ dtype: 'int32', shape, data: make() }, 'im2col_idx'));
}

/** X [N, C, H, W] as rows [N·H·W, C], plus one zero row at the end when `zeroRow`. */
function channelLastRows(g: GraphBuilder, x: string, zeroRow: boolean): string {
  return memoized(g, `rows|${x}|${zeroRow}`, () => {
    const [n, c, h, w] = g.shape(x) as [number, number, number, number];
    const rows = reshape(g, transpose(g, x, [0, 2, 3, 1]), [n * h * w, c]);
    return zeroRow ? g.op1('Pad', [rows, g.constI64([0, 0, 1, 0])]) : rows;
  });
}

function gatherWeightGrad(g: GraphBuilder, p: Conv2d, x: string, dy: string): string {
  if (convGradTuning.weightGrad === 'gather-pad') return gatherPadWeightGrad(g, p, x, dy);
  const P = p.n * p.ho * p.wo;
  const k2 = p.kh * p.kw;
  const taps = liveTaps(p);
  const idxData = im2colIndicesZeroRow(p, taps);
  const rows = channelLastRows(g, x, idxData.includes(p.n * p.h * p.w)); // [N·H·W (+1), C]
  const key = ['z', p.n, p.h, p.w, p.ho, p.wo, p.kh, p.kw, ...p.s, ...p.d, ...p.pads].join(',');
  const idx = cachedIndex(g, key, [P, taps.length], () => idxData);
  const cols = reshape(g, g.op1('Gather', [rows, idx], { axis: 0 }), [P, taps.length * p.c]); // [P, k'·C]
  const dyt = reshape(g, channelMajor(g, dy), [p.m, P]);
  let dw = reshape(g, g.op1('Gemm', [dyt, cols]), [p.m, taps.length, p.c]); // [M, k', C]
  if (taps.length < k2) {
    // dead taps (every window position in the padding) have a zero gradient: one zero tap appended, gathered into place
    const padded = g.op1('Pad', [dw, g.constI64([0, 0, 0, 0, 1, 0])]);
    const where = Array.from({ length: k2 }, (_, t) => { const k = taps.indexOf(t); return k < 0 ? taps.length : k; });
    dw = g.op1('Gather', [padded, g.constant({ dtype: 'int32', shape: [k2], data: Int32Array.from(where) }, 'tap_idx')], { axis: 1 });
  }
  return reshape(g, transpose(g, dw, [0, 2, 1]), [p.m, p.c, p.kh, p.kw]);
}

/** 'gather-pad': the same im2col over the spatially padded channel-last input. */
function gatherPadWeightGrad(g: GraphBuilder, p: Conv2d, x: string, dy: string): string {
  const P = p.n * p.ho * p.wo;
  const k2 = p.kh * p.kw;
  const u = usedPads(p);
  let xn = transpose(g, x, [0, 2, 3, 1]); // [N, H, W, C]
  if (u.some((v) => v !== 0)) xn = g.op1('Pad', [xn, g.constI64([0, u[0]!, u[1]!, 0, 0, u[2]!, u[3]!, 0])]);
  const [, hp, wp] = g.shape(xn) as [number, number, number, number];
  const rows = reshape(g, xn, [p.n * hp * wp, p.c]);
  const key = [p.n, p.ho, p.wo, p.kh, p.kw, ...p.s, ...p.d, hp, wp].join(',');
  const idx = cachedIndex(g, key, [P, k2], () => im2colIndices(p, hp, wp));
  const cols = reshape(g, g.op1('Gather', [rows, idx], { axis: 0 }), [P, k2 * p.c]); // [P, k²·C]
  const dyt = reshape(g, channelMajor(g, dy), [p.m, P]);
  const dw = g.op1('Gemm', [dyt, cols]); // [M, k²·C]
  return reshape(g, transpose(g, reshape(g, dw, [p.m, k2, p.c]), [0, 2, 1]), [p.m, p.c, p.kh, p.kw]);
}

function depthwiseWeightGrad(g: GraphBuilder, p: Conv2d, x: string, dy: string): string {
  if (convGradTuning.depthwiseWeightGrad === 'conv') return depthwiseWeightGradConv(g, p, x, dy);
  const xp = padSpatial(g, x, usedPads(p));
  const axes = g.constI64([0, 2, 3]);
  const taps: string[] = [];
  for (let i = 0; i < p.kh; i++) {
    for (let j = 0; j < p.kw; j++) {
      taps.push(g.op1('ReduceSum', [g.op1('Mul', [tap(g, p, xp, i, j), dy]), axes], { keepdims: 1 }));
    }
  }
  const cat = taps.length === 1 ? taps[0]! : g.op1('Concat', taps, { axis: 3 });
  return reshape(g, cat, [p.c, 1, p.kh, p.kw]);
}

/**
 * dW of a group-1 convolution as ONE Conv in which dY is the kernel: the input X channel-major
 * ([C, N, H, W]: the C input channels as the batch, the N images as channels), the kernel dY
 * channel-major ([M, N, Ho, Wo]), the forward stride as dilation, the forward dilation as
 * stride; output [C, M, kh, kw], transposed to [M, C, kh, kw]. For few input channels (the
 * first layer: im2col rows of C floats are short).
 */
function convWeightGradByConv(g: GraphBuilder, p: Conv2d, x: string, dy: string): string {
  return transpose(g, dyKernelConv(g, p, channelMajor(g, x), channelMajor(g, dy), {}), [1, 0, 2, 3]);
}

/**
 * Conv(input, kernel = dY) with the forward stride as dilation, the forward dilation as stride,
 * the forward top/left pads and the bottom/right pads the last window reads; the output's
 * spatial size is cut to [kh, kw] (it has rows past the last tap when the forward skipped them).
 */
function dyKernelConv(g: GraphBuilder, p: Conv2d, input: string, kernel: string, at: Record<string, number | number[]>): string {
  const u = usedPads(p);
  if (p.s[0] !== 1 || p.s[1] !== 1) at['dilations'] = [...p.s];
  if (p.d[0] !== 1 || p.d[1] !== 1) at['strides'] = [...p.d];
  if (u.some((v) => v !== 0)) at['pads'] = u;
  const dw = g.op1('Conv', [input, kernel], at);
  const [, , oh, ow] = g.shape(dw) as [number, number, number, number];
  return oh !== p.kh || ow !== p.kw ? slice(g, dw, [0, 0], [p.kh, p.kw], [2, 3]) : dw;
}

/** Depthwise dW as one grouped Conv with dY as the kernel (see DepthwiseWeightGradMethod). */
function depthwiseWeightGradConv(g: GraphBuilder, p: Conv2d, x: string, dy: string): string {
  const xr = reshape(g, channelMajor(g, x), [1, p.c * p.n, p.h, p.w]);
  const k = reshape(g, channelMajor(g, dy), [p.c, p.n, p.ho, p.wo]);
  return reshape(g, dyKernelConv(g, p, xr, k, { group: p.c }), [p.c, 1, p.kh, p.kw]); // [1, C, kh, kw]
}
