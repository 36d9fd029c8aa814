/**
 * Gradient clipping, with PyTorch's semantics, applied to the raw gradients before the
 * optimiser (so SGD's weight decay is added after clipping, as in a PyTorch loop that calls
 * clip_grad_norm_ between backward() and step()).
 *
 *   norm:  N = √(Σ_k ‖g_k‖²);  c = min(1, maxNorm / (N + 1e-6));  g_k ← c·g_k
 *          (torch.nn.utils.clip_grad_norm_, norm_type 2; ‖g_k‖² reduced in two stages, sum-all.ts)
 *   value: g_k ← clamp(g_k, −v, v)  (torch.nn.utils.clip_grad_value_)
 */
import type { GraphBuilder } from '../ir/builder.js';
import { sumSquaresAll } from './sum-all.js';

export type ClipConfig =
  | { readonly kind: 'norm'; readonly maxNorm: number }
  | { readonly kind: 'value'; readonly value: number };

export interface Clipped {
  readonly grads: string[];
  /** N, the global norm before clipping (norm clipping only). */
  readonly norm?: string;
}

export function clipGradients(g: GraphBuilder, grads: readonly string[], clip: ClipConfig | undefined): Clipped {
  if (clip === undefined) return { grads: [...grads] };
  if (clip.kind === 'value') {
    const lo = g.constF32(-clip.value);
    const hi = g.constF32(clip.value);
    return { grads: grads.map((d) => g.op1('Clip', [d, lo, hi], {}, { name: 'clip_value' })) };
  }
  const sq = grads.map((d) => sumSquaresAll(g, d));
  const total = sq.length === 1 ? sq[0]! : g.op1('Sum', sq);
  const norm = g.op1('Sqrt', [total], {}, { name: 'grad_norm' });
  const ratio = g.op1('Div', [g.constF32(clip.maxNorm), g.op1('Add', [norm, g.constF32(1e-6)])]);
  const coef = g.op1('Min', [ratio, g.constF32(1)], {}, { name: 'clip_coef' });
  return { grads: grads.map((d) => g.op1('Mul', [d, coef], {}, { name: 'clip_norm' })), norm };
}
