/**
 * Information maximisation (SHOT: Liang et al., ICML 2020, "Do we really need to access the
 * source data?") over the pixels of a batch of logits, built in-graph from LogSoftmax and its
 * Exp (the backward pass is the engine's).
 *
 * Input:  z  logits [N, C, H, W] float32; P = N·H·W pixels, p_i = softmax_c(z_i).
 *   log p_i = LogSoftmax_c(z_i),  p_i = exp(log p_i)
 *   H_i     = −Σ_c p_ic log p_ic                       entropy map [N, H, W]
 *   L_ent   = (1/P) Σ_i H_i                            mean entropy (scalar)
 *   p̄       = (1/P) Σ_i p_i                            mean prediction [C]
 *   L_div   = Σ_c p̄_c log(p̄_c + ε) = −H(p̄)            ε = 1e-12 (only guards p̄_c = 0)
 * Minimising L_ent makes each pixel's prediction confident; minimising L_div (the negative
 * entropy of the batch's mean prediction) keeps the predictions spread over the classes, so
 * the two together maximise the mutual information between pixels and predicted classes.
 * SHOT's objective is L_ent + λ·L_div (it writes L_div = −H(p̄) as a quantity to minimise).
 * TENT's objective is L_ent alone (lib/method/baselines/tent.ts uses `pixelEntropy`).
 */
import type { GraphBuilder } from '../ir/builder.js';

export interface PixelEntropy {
  /** log p [N, C, H, W]. */
  readonly logp: string;
  /** p [N, C, H, W]. */
  readonly p: string;
  /** H_i [N, H, W]. */
  readonly entropyMap: string;
  /** L_ent (scalar). */
  readonly entropy: string;
}

/** log p, p, the entropy map H and L_ent of logits [N, C, H, W] (see the file comment). */
export function pixelEntropy(g: GraphBuilder, logits: string, name = 'im'): PixelEntropy {
  const s = g.shape(logits);
  if (s.length !== 4) throw new Error(`pixelEntropy: logits '${logits}' have shape [${s.join(',')}], expected [N,C,H,W]`);
  const logp = g.op1('LogSoftmax', [logits], { axis: 1 }, { name: `${name}.logp` });
  const p = g.op1('Exp', [logp], {}, { name: `${name}.p` });
  const plogp = g.op1('ReduceSum', [g.op1('Mul', [p, logp]), g.constI64([1])], { keepdims: 0 }, { name: `${name}.plogp` });
  const entropyMap = g.op1('Neg', [plogp], {}, { name: `${name}.entropy_map` });
  const entropy = g.op1('ReduceMean', [entropyMap], { axes: [0, 1, 2], keepdims: 0 }, { name: `${name}.entropy` });
  return { logp, p, entropyMap, entropy };
}

/** L_div = Σ_c p̄_c log(p̄_c + ε) of probabilities p [N, C, H, W] (see the file comment). */
export function predictionDiversity(g: GraphBuilder, p: string, name = 'im'): string {
  const pbar = g.op1('ReduceMean', [p], { axes: [0, 2, 3], keepdims: 0 }, { name: `${name}.mean_p` });
  const logPbar = g.op1('Log', [g.op1('Add', [pbar, g.constF32(1e-12)])], {}, { name: `${name}.log_mean_p` });
  return g.op1('ReduceSum', [g.op1('Mul', [pbar, logPbar])], { keepdims: 0 }, { name: `${name}.diversity` });
}

/** Both terms: { ...pixelEntropy, diversity }. */
export function informationMaximisation(g: GraphBuilder, logits: string, name = 'im'): PixelEntropy & { readonly diversity: string } {
  const e = pixelEntropy(g, logits, name);
  return { ...e, diversity: predictionDiversity(g, e.p, name) };
}
