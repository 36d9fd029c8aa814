/**
 * Train-mode BatchNorm whose batch statistics come from a block of the batch's rows (images)
 * and normalise every row: X [B, C, ...] (channel axis 1), rows R = [r0, r0 + k) of axis 0,
 * n = k · (numel(X)/(B·C)) values per channel, in primitive ops (every op has a gradient rule):
 *
 *   X_R = X[r0 : r0+k]                μ  = mean over (R, spatial) of X_R        [1,C,1,...]
 *   σ² = mean over (R, spatial) of (X_R − μ)²   (biased, as BN normalises)
 *   Y  = (X − μ) / √(σ² + ε) · γ + β                                            (all B rows)
 *   running_mean' = m·running_mean + (1−m)·μ
 *   running_var'  = m·running_var  + (1−m)·σ²·n/(n−1)   (unbiased, as PyTorch)
 *
 * m is the ONNX momentum (the kept fraction; PyTorch's 1 − momentum). With R = every row this
 * is the ordinary train-mode BatchNormalization (lower-batchnorm.ts). The gradient reaches X
 * through both the normalised rows and the statistics of the rows R.
 *
 * Used by the STvM student with `stvm.bn.statsFrom = 'unmixed'`: the batch is [x̃; x] and
 * every BN normalises both halves with the statistics of the un-mixed half x.
 */
import type { GraphBuilder } from '../ir/builder.js';
import { bnAxes } from '../ir/lower-batchnorm.js';
import { numel } from '../ir/tensor.js';

export interface RowStatsBnOptions {
  readonly eps: number;
  /** ONNX momentum m (the fraction of the old running statistics kept). */
  readonly momentum: number;
  /** [first row, row count] of the rows whose statistics normalise the batch. */
  readonly rows: readonly [number, number];
  /** Node name prefix. */
  readonly name: string;
}

export interface RowStatsBn {
  readonly y: string;
  readonly newMean: string;
  readonly newVar: string;
}

export function batchNormRowStats(g: GraphBuilder, x: string, gamma: string, beta: string, mean: string, vr: string, o: RowStatsBnOptions): RowStatsBn {
  const xs = g.shape(x);
  const [r0, k] = o.rows;
  if (!(Number.isInteger(r0) && Number.isInteger(k) && r0 >= 0 && k >= 1 && r0 + k <= xs[0]!)) {
    throw new Error(`batchNormRowStats '${o.name}': rows [${r0}, ${r0 + k}) are not inside the batch of ${xs[0]}`);
  }
  const c = xs[1]!;
  const n = (numel(xs) / (xs[0]! * c)) * k;
  if (n < 2) throw new Error(`batchNormRowStats '${o.name}': the unbiased running variance needs more than 1 value per channel`);
  const nm = (s: string) => ({ name: `${o.name}.${s}` });
  const axes = bnAxes(xs.length);
  const xr = r0 === 0 && k === xs[0] ? x : g.op1('Slice', [x, g.constI64([r0]), g.constI64([r0 + k]), g.constI64([0])], {}, nm('rows'));
  const mu = g.op1('ReduceMean', [xr], { axes, keepdims: 1 }, nm('mean'));
  const xrc = g.op1('Sub', [xr, mu], {}, nm('rows_centred'));
  const v = g.op1('ReduceMean', [g.op1('Mul', [xrc, xrc])], { axes, keepdims: 1 }, nm('var'));
  const inv = g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [v, g.constF32(o.eps)])])], {}, nm('inv'));
  const bshape = xs.map((d, i) => (i === 1 ? d : 1));
  const xhat = g.op1('Mul', [g.op1('Sub', [x, mu]), inv], {}, nm('xhat'));
  const y = g.op1('Add', [g.op1('Mul', [xhat, g.op1('Reshape', [gamma, g.constI64(bshape)])]), g.op1('Reshape', [beta, g.constI64(bshape)])], {}, nm('y'));
  const m = o.momentum;
  const blend = (running: string, stat: string, coef: number, what: string) =>
    g.op1('Add', [g.op1('Mul', [running, g.constF32(m)]), g.op1('Mul', [g.op1('Reshape', [stat, g.constI64([c])]), g.constF32(coef)])], {}, nm(what));
  return { y, newMean: blend(mean, mu, 1 - m, 'running_mean_next'), newVar: blend(vr, v, ((1 - m) * n) / (n - 1), 'running_var_next') };
}
