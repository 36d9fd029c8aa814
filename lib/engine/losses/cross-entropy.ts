/**
 * Weighted pixel-wise softmax cross-entropy with an ignore index (the segmentation loss).
 *
 * Inputs:  z  logits  [N, C, H, W] float32
 *          y  labels  [N, H, W]    int64, values in 0..C−1 or `ignoreIndex` (default 255)
 *          w  weights [N, H, W]    float32, optional (default 1 everywhere)
 * Per pixel i:  v_i = 1[y_i ≠ ignore],  ω_i = w_i · v_i,
 *               onehot_ic = 1[y_i = c]  (Equal against a constant class index [1,C,1,1]; an
 *                                         ignored pixel gives an all-zero row),
 *               m_i = max_c z_ic,  lse_i = m_i + log Σ_c exp(z_ic − m_i)   (stable log-sum-exp),
 *               CE_i = lse_i − Σ_c onehot_ic z_ic.
 * Loss (scalar): L = Σ_i ω_i · CE_i / max(Σ_i ω_i, 1e-12)   (0 when every pixel is ignored).
 * Gradient:      dL/dz_ic = (softmax_ic − onehot_ic) · ω_i / max(Σω, 1e-12), exactly 0 on
 *                ignored pixels; the normaliser Σω is a constant (no gradient into w).
 * Equals PyTorch  (F.cross_entropy(z, y, ignore_index=255, reduction='none') * w).sum() / (w·v).sum().
 *
 * The gradient is returned as graph values (dLogits), built directly from the forward
 * intermediates: seed the backward pass with it, `backward(g, logits, wrt, { seed: dLogits })`,
 * instead of differentiating the loss node by node (cheaper, and no ReduceMax rule needed).
 */
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';

export interface CrossEntropyOptions {
  /** Per-pixel weights [N, H, W] (float32). */
  weights?: string;
  ignoreIndex?: number;
  /** Name prefix of the nodes (default 'ce'). */
  name?: string;
}

export interface CrossEntropyResult {
  /** Scalar loss L. */
  loss: string;
  /** dL/dz [N, C, H, W]. */
  dLogits: string;
  /** Per-pixel CE_i [N, 1, H, W] (ignored pixels hold their unmasked value). */
  perPixel: string;
  /** Σ_i ω_i (scalar). */
  weightSum: string;
}

export function softmaxCrossEntropy(g: GraphBuilder, logits: string, labels: string, opts: CrossEntropyOptions = {}): CrossEntropyResult {
  const zs = g.shape(logits);
  const ys = g.shape(labels);
  const p = opts.name ?? 'ce';
  if (zs.length !== 4) throw new Error(`softmaxCrossEntropy: logits '${logits}' must be [N,C,H,W], got [${zs.join(',')}]`);
  const [n, c, h, w] = zs as [number, number, number, number];
  if (ys.length !== 3 || ys[0] !== n || ys[1] !== h || ys[2] !== w) throw new Error(`softmaxCrossEntropy: labels '${labels}' must be [${n},${h},${w}], got [${ys.join(',')}]`);
  if (g.dtype(labels) !== 'int64') throw new Error(`softmaxCrossEntropy: labels '${labels}' must be int64, got ${g.dtype(labels)}`);
  const ignore = opts.ignoreIndex ?? 255;

  const y1 = g.op1('Reshape', [labels, g.constI64([n, 1, h, w])], {}, { name: `${p}.labels` });
  const classes = g.constant(tensor('int64', [1, c, 1, 1], Array.from({ length: c }, (_, i) => i)), `${p}.classes`);
  const onehot = g.op1('Cast', [g.op1('Equal', [y1, classes])], { to: 1 }, { name: `${p}.onehot` });
  const valid = g.op1('Cast', [g.op1('Not', [g.op1('Equal', [y1, g.constI64([ignore], [])])])], { to: 1 }, { name: `${p}.valid` });
  let omega = valid;
  if (opts.weights !== undefined) {
    const ws = g.shape(opts.weights);
    if (ws.length !== 3 || ws[0] !== n || ws[1] !== h || ws[2] !== w) throw new Error(`softmaxCrossEntropy: weights '${opts.weights}' must be [${n},${h},${w}], got [${ws.join(',')}]`);
    omega = g.op1('Mul', [g.op1('Reshape', [opts.weights, g.constI64([n, 1, h, w])]), valid], {}, { name: `${p}.omega` });
  }

  const mx = g.op1('ReduceMax', [logits], { axes: [1], keepdims: 1 }, { name: `${p}.max` });
  const shifted = g.op1('Sub', [logits, mx]);
  const ex = g.op1('Exp', [shifted]);
  const sumEx = g.op1('ReduceSum', [ex, g.constI64([1])], { keepdims: 1 });
  const lseShift = g.op1('Log', [sumEx]);                                   // lse − m
  const picked = g.op1('ReduceSum', [g.op1('Mul', [shifted, onehot]), g.constI64([1])], { keepdims: 1 }); // z_y − m
  const ce = g.op1('Sub', [lseShift, picked], {}, { name: `${p}.per_pixel` });

  const all = g.constI64([0, 1, 2, 3]);
  const wsum = g.op1('ReduceSum', [omega, all], { keepdims: 0 }, { name: `${p}.weight_sum` });
  const denom = g.op1('Max', [wsum, g.constF32(1e-12)]);
  const num = g.op1('ReduceSum', [g.op1('Mul', [ce, omega]), all], { keepdims: 0 });
  const loss = g.op1('Div', [num, denom], {}, { name: `${p}.loss` });

  const softmax = g.op1('Div', [ex, sumEx]);
  const scale = g.op1('Div', [omega, denom]);
  const dLogits = g.op1('Mul', [g.op1('Sub', [softmax, onehot]), scale], {}, { name: `${p}.dlogits` });
  return { loss, dLogits, perPixel: ce, weightSum: wsum };
}
