/**
 * Gemm: Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B, C broadcast to [M,N].
 * dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, dC = unbroadcast(β·dY); each written as one Gemm whose
 * trans flags absorb every transpose.
 */
import { attrFloat, attrInt } from '../../ir/graph.js';
import type { GraphBuilder } from '../../ir/builder.js';
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { scale } from './nn-util.js';

function gemm(g: GraphBuilder, a: string, b: string, ta: boolean, tb: boolean, alpha: number): string {
  return g.op1('Gemm', [a, b], { transA: ta ? 1 : undefined, transB: tb ? 1 : undefined, alpha: alpha === 1 ? undefined : alpha });
}

registerGrad('Gemm', ({ g, node, dy, wants }) => {
  const [a, b, c] = node.inputs as [string, string, string | undefined];
  const ta = attrInt(node, 'transA', 0) === 1;
  const tb = attrInt(node, 'transB', 0) === 1;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const d = dy[0]!;
  // dA = α·dY·B'ᵀ (transA = 0) or its transpose α·B'·dYᵀ (transA = 1)
  const da = !wants[0] ? undefined : ta ? gemm(g, b, d, tb, true, alpha) : gemm(g, d, b, false, !tb, alpha);
  // dB = α·A'ᵀ·dY (transB = 0) or its transpose α·dYᵀ·A' (transB = 1)
  const db = !wants[1] ? undefined : tb ? gemm(g, d, a, true, ta, alpha) : gemm(g, a, d, !ta, false, alpha);
  const dc = c && wants[2] ? scale(g, unbroadcast(g, d, g.shape(c)), beta) : undefined;
  return [da, db, dc];
});
