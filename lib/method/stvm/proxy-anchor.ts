/**
 * Proxy-Anchor loss (Kim et al., CVPR 2020) written into an ONNX graph, so the metric network
 * and the proxies train by the engine's autodiff (stvm-method.md row 5).
 *   s(x, p) = cos(e_x, p) = e_x·p / ‖p‖          (e_x already L2-normalised)
 *   L = (1/|P⁺|) Σ_{p∈P⁺} log(1 + Σ_{x∈X_p⁺} e^{−α(s(x,p)−δ)})
 *     + (1/C)    Σ_{p}    log(1 + Σ_{x∈X_p⁻} e^{ α(s(x,p)+δ)})
 * P⁺: proxies whose class has at least one (valid) location in the batch; X_p⁺ / X_p⁻: valid
 * locations of / not of class p.
 * Shapes: E [M, D] embeddings (rows L2-normalised), proxies [C, D], Y [M, C] one-hot float
 * (all-zero rows for locations without a label), valid [M, 1] float in {0, 1} (subsampling).
 * Returns the scalar loss and the similarity matrix S [M, C] (reused for the reliability).
 */
import type { GraphBuilder } from '../../engine/ir/builder.js';

export interface ProxyAnchorNames { loss: string; sim: string }

export function proxyAnchorLoss(g: GraphBuilder, emb: string, proxies: string, onehot: string, valid: string, alpha: number, delta: number): ProxyAnchorNames {
  const [c] = g.shape(proxies) as [number, number];
  const pNorm = g.op1('Sqrt', [g.op1('Add', [g.op1('ReduceSumSquare', [proxies], { axes: [1], keepdims: 1 }), g.constF32(1e-12)])]);
  const pHat = g.op1('Div', [proxies, pNorm]);
  const sim = g.op1('MatMul', [emb, g.op1('Transpose', [pHat], { perm: [1, 0] })]);
  const posMask = g.op1('Mul', [onehot, valid]);
  const negMask = g.op1('Mul', [g.op1('Sub', [g.constF32(1), onehot]), valid]);
  const posExp = g.op1('Mul', [g.op1('Exp', [g.op1('Mul', [g.op1('Sub', [sim, g.constF32(delta)]), g.constF32(-alpha)])]), posMask]);
  const negExp = g.op1('Mul', [g.op1('Exp', [g.op1('Mul', [g.op1('Add', [sim, g.constF32(delta)]), g.constF32(alpha)])]), negMask]);
  const axis0 = g.constI64([0]);
  const posSum = g.op1('ReduceSum', [posExp, axis0], { keepdims: 0 });
  const negSum = g.op1('ReduceSum', [negExp, axis0], { keepdims: 0 });
  const one = g.constF32(1);
  const hasPos = g.op1('Cast', [g.op1('Greater', [g.op1('ReduceSum', [posMask, axis0], { keepdims: 0 }), g.constF32(0)])], { to: 1 });
  const numPos = g.op1('Max', [g.op1('ReduceSum', [hasPos], { keepdims: 0 }), one]);
  const posTerm = g.op1('Div', [g.op1('ReduceSum', [g.op1('Mul', [g.op1('Log', [g.op1('Add', [posSum, one])]), hasPos])], { keepdims: 0 }), numPos]);
  const negTerm = g.op1('Div', [g.op1('ReduceSum', [g.op1('Log', [g.op1('Add', [negSum, one])])], { keepdims: 0 }), g.constF32(c)]);
  return { loss: g.op1('Add', [posTerm, negTerm]), sim };
}
