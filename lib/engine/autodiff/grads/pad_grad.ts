/**
 * Pad (opset 13–17; pads [b_1..b_r, e_1..e_r] a constant input; negative pads crop).
 * constant: dX = Slice(dY) when no pad is negative, else Pad(dY, −pads) (crops become zero
 *   pads and pads become crops) in one node; d(constant_value) = Σ dY − Σ dX.
 * reflect / edge: per padded axis the adjoint of the index map: the interior slice plus the
 *   border slices folded back (reflect: flipped onto x[1..b] and x[n−1−e..n−2]; edge: summed
 *   onto x[0] and x[n−1]), each zero-padded to length n and summed.
 */
import { attrString } from '../../ir/graph.js';
import type { GraphBuilder } from '../../ir/builder.js';
import { toNumbers } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';
import { flip, reshape, slice, UnsupportedGradError } from './nn-util.js';

/** Zero-pads axis `axis` of t by (b, e). */
function padAxis(g: GraphBuilder, t: string, axis: number, b: number, e: number): string {
  const r = g.shape(t).length;
  const pads = new Array<number>(2 * r).fill(0);
  pads[axis] = b;
  pads[r + axis] = e;
  return g.op1('Pad', [t, g.constI64(pads)]);
}

/** Adjoint of reflect/edge padding by (b, e) on one axis whose unpadded length is n. */
function borderAdjoint(g: GraphBuilder, t: string, axis: number, n: number, b: number, e: number, mode: string): string {
  const len = n + b + e;
  const parts = [slice(g, t, [b], [b + n], [axis])];
  if (mode === 'reflect') {
    if (b > 0) parts.push(padAxis(g, flip(g, slice(g, t, [0], [b], [axis]), [axis]), axis, 1, n - 1 - b));
    if (e > 0) parts.push(padAxis(g, flip(g, slice(g, t, [b + n], [len], [axis]), [axis]), axis, n - 1 - e, 1));
  } else {
    const ax = g.constI64([axis]);
    if (b > 0) parts.push(padAxis(g, g.op1('ReduceSum', [slice(g, t, [0], [b], [axis]), ax], { keepdims: 1 }), axis, 0, n - 1));
    if (e > 0) parts.push(padAxis(g, g.op1('ReduceSum', [slice(g, t, [b + n], [len], [axis]), ax], { keepdims: 1 }), axis, n - 1, 0));
  }
  return parts.length === 1 ? parts[0]! : g.op1('Sum', parts);
}

registerGrad('Pad', ({ g, node, dy, wants }) => {
  const [x, padsName, cv] = node.inputs as [string, string, string | undefined];
  const xs = g.shape(x);
  const r = xs.length;
  const padsT = g.constValue(padsName);
  if (padsT === undefined) throw new UnsupportedGradError(node, 'pads must be a build-time constant');
  const pads = toNumbers(padsT);
  const mode = attrString(node, 'mode', 'constant');
  const d = dy[0]!;
  const axes = xs.map((_, i) => i).filter((i) => pads[i] !== 0 || pads[r + i] !== 0);
  let dx: string;
  if (axes.length === 0) dx = d;
  else if (mode === 'constant') {
    if (pads.every((p) => p >= 0)) {
      dx = slice(g, d, axes.map((i) => pads[i]!), axes.map((i) => pads[i]! + xs[i]!), axes);
    } else {
      dx = g.op1('Pad', [d, g.constI64(pads.map((p) => -p))]);
    }
  } else if (mode === 'reflect' || mode === 'edge') {
    if (pads.some((p) => p < 0)) throw new UnsupportedGradError(node, `negative pads are not supported in mode '${mode}'`);
    dx = d;
    for (const a of axes) dx = borderAdjoint(g, dx, a, xs[a]!, pads[a]!, pads[r + a]!, mode);
  } else throw new UnsupportedGradError(node, `mode '${mode}' is not supported`);
  let dcv: string | undefined;
  if (cv && wants[2] && mode === 'constant') {
    const all = g.op1('ReduceSum', [d], { keepdims: 0 });
    const inner = g.op1('ReduceSum', [dx], { keepdims: 0 });
    dcv = reshape(g, g.op1('Sub', [all, inner]), g.shape(cv));
  }
  return [wants[0] ? dx : undefined, undefined, dcv];
});
