/**
 * MatMul (numpy semantics: batched, broadcasting; a 1-D A is [1,K], a 1-D B is [K,1], the
 * inserted axis dropped from Y). With A2 [...,M,K], B2 [...,K,N] the promoted operands:
 * dA2 = dY2·B2ᵀ, dB2 = A2ᵀ·dY2, each summed over broadcast batch axes (unbroadcast).
 * 2-D cases use one Gemm (trans flags, no Transpose); a batched A times a 2-D B folds the
 * batch into the rows for dB: dB = Gemm(A[b·M,K], dY[b·M,N], transA).
 */
import type { GraphBuilder } from '../../ir/builder.js';
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { reshape, transpose } from './nn-util.js';

const swapLast = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];

function dA(g: GraphBuilder, a2: string, b2: string, dy2: string): string {
  const rb = g.shape(b2).length;
  if (rb === 2 && g.shape(dy2).length === 2) return g.op1('Gemm', [dy2, b2], { transB: 1 });
  const r = g.op1('MatMul', [dy2, transpose(g, b2, swapLast(rb))]);
  return unbroadcast(g, r, g.shape(a2));
}

function dB(g: GraphBuilder, a2: string, b2: string, dy2: string): string {
  const as = g.shape(a2);
  const bs = g.shape(b2);
  if (bs.length === 2 && as.length >= 2) {
    // B has no batch axes, so Y's batch axes are A's: fold them into the rows
    const rows = as.slice(0, -1).reduce((x, y) => x * y, 1);
    const a2d = reshape(g, a2, [rows, as[as.length - 1]!]);
    return g.op1('Gemm', [a2d, reshape(g, dy2, [rows, bs[1]!])], { transA: 1 });
  }
  const r = g.op1('MatMul', [transpose(g, a2, swapLast(as.length)), dy2]);
  return unbroadcast(g, r, bs);
}

registerGrad('MatMul', ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  const as = g.shape(a);
  const bs = g.shape(b);
  const d = dy[0]!;
  if (as.length === 1 && bs.length === 1) {
    return [wants[0] ? g.op1('Mul', [d, b]) : undefined, wants[1] ? g.op1('Mul', [d, a]) : undefined];
  }
  const a2 = as.length === 1 ? reshape(g, a, [1, as[0]!]) : a;
  const b2 = bs.length === 1 ? reshape(g, b, [bs[0]!, 1]) : b;
  const ys = g.shape(d);
  const y2 = [...ys];
  if (as.length === 1) y2.splice(y2.length - 1, 0, 1);
  if (bs.length === 1) y2.push(1);
  const dy2 = reshape(g, d, y2);
  return [
    wants[0] ? reshape(g, dA(g, a2, b2, dy2), as) : undefined,
    wants[1] ? reshape(g, dB(g, a2, b2, dy2), bs) : undefined,
  ];
});
