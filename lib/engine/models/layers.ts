/**
 * Layer helpers shared by the model builders: Conv2d, BatchNorm (frozen or train mode), ReLU,
 * MaxPool. Each registers its parameters (named like PyTorch modules) with seeded init:
 * convs Kaiming-normal fan_out (torchvision: std = sqrt(2 / (C_out·k·k))), or normal(0, std)
 * when given; BN γ=1, β=0, running mean 0, running var 1.
 */
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import { maxPoolWithIndices } from '../autodiff/grads/maxpool_grad.js';
import { batchNormRowStats } from './bn-rows.js';
import { Rng } from '../../util/rng.js';
import type { BnMode } from './spec.js';
import type { BnStatUpdate, ParamGroup, ParamInfo, ParamRole } from './params.js';

/** n values N(0, std²) as float32 from a seeded stream. */
export function normalArray(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal(0, std);
  return a;
}

export class ModelContext {
  readonly params: ParamInfo[] = [];
  readonly bnUpdates: BnStatUpdate[] = [];
  group: ParamGroup = 'backbone';
  /** Fold frozen BN into the preceding convolution (see convBn). */
  foldFrozenBn = false;
  /** Train-mode BN only: take the batch statistics from rows [first, first + count) of the
   *  batch and normalise every row with them (bn-rows.ts); unset = the whole batch. */
  bnStatsRows: readonly [number, number] | undefined = undefined;

  constructor(readonly g: GraphBuilder, readonly seed: number) {}

  /** The init stream of one tensor: keyed by (seed, name), so adding or reordering modules
   *  never changes another tensor's values (lib/data/rng.ts keyed streams). */
  rngFor(name: string): Rng {
    return new Rng([this.seed, 'init', name]);
  }

  param(name: string, shape: number[], role: ParamRole, trainable: boolean, values: Float32Array): string {
    this.g.initializer(name, tensor('float32', shape, values));
    this.params.push({ name, shape, role, group: this.group, trainable });
    return name;
  }
}

export interface ConvOpts {
  stride?: number;
  padding?: number;
  dilation?: number;
  bias?: boolean;
  /** std of a normal init (default: Kaiming normal, fan_out). */
  initStd?: number;
  trainable?: boolean;
}

function convWeight(m: ModelContext, name: string, cin: number, cout: number, k: number, o: ConvOpts): string {
  const std = o.initStd ?? Math.sqrt(2 / (cout * k * k));
  return m.param(`${name}.weight`, [cout, cin, k, k], 'conv_weight', o.trainable ?? true, normalArray(m.rngFor(`${name}.weight`), cout * cin * k * k, std));
}

function convNode(m: ModelContext, name: string, inputs: string[], k: number, o: ConvOpts): string {
  const stride = o.stride ?? 1;
  const pad = o.padding ?? 0;
  const dil = o.dilation ?? 1;
  return m.g.op1('Conv', inputs, {
    kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [dil, dil], group: 1,
  }, { name });
}

/** Conv2d(cin→cout, k×k), no groups. X [N,cin,H,W] → [N,cout,Ho,Wo]. */
export function conv2d(m: ModelContext, name: string, x: string, cin: number, cout: number, k: number, o: ConvOpts = {}): string {
  const inputs = [x, convWeight(m, name, cin, cout, k, o)];
  if (o.bias) inputs.push(m.param(`${name}.bias`, [cout], 'conv_bias', o.trainable ?? true, new Float32Array(cout)));
  return convNode(m, name, inputs, k, o);
}

export interface BnOpts { mode: BnMode; eps: number; momentum: number }

/**
 * BatchNorm2d (a BatchNormalization node). 'frozen': BatchNormalization training_mode=0 with constant (non-trainable)
 * γ, β, running mean/var: y = γ·(x−μ)/sqrt(σ²+ε) + β per channel. 'train': training_mode=1
 * (batch statistics), γ/β trainable, updated running statistics exposed in m.bnUpdates
 * (ONNX momentum = 1 − PyTorch momentum); with m.bnStatsRows the statistics come from those
 * rows of the batch only (bn-rows.ts).
 */
function bnParams(m: ModelContext, name: string, c: number, train: boolean): [string, string, string, string] {
  return [
    m.param(`${name}.weight`, [c], 'bn_weight', train, new Float32Array(c).fill(1)),
    m.param(`${name}.bias`, [c], 'bn_bias', train, new Float32Array(c)),
    m.param(`${name}.running_mean`, [c], 'bn_running_mean', false, new Float32Array(c)),
    m.param(`${name}.running_var`, [c], 'bn_running_var', false, new Float32Array(c).fill(1)),
  ];
}

export function batchNorm(m: ModelContext, name: string, x: string, c: number, o: BnOpts): string {
  const train = o.mode === 'train';
  const [gamma, beta, mean, vr] = bnParams(m, name, c, train);
  const attrs = { epsilon: o.eps, momentum: 1 - o.momentum, training_mode: train ? 1 : 0 };
  if (!train) return m.g.op1('BatchNormalization', [x, gamma, beta, mean, vr], attrs, { name });
  if (m.bnStatsRows) {
    const r = batchNormRowStats(m.g, x, gamma, beta, mean, vr, { eps: o.eps, momentum: 1 - o.momentum, rows: m.bnStatsRows, name });
    m.bnUpdates.push({ module: name, mean, var: vr, newMean: r.newMean, newVar: r.newVar });
    return r.y;
  }
  const [y, newMean, newVar] = m.g.op('BatchNormalization', [x, gamma, beta, mean, vr], attrs, {
    name, outputNames: [`${name}.y`, `${name}.running_mean_next`, `${name}.running_var_next`],
  });
  m.bnUpdates.push({ module: name, mean, var: vr, newMean: newMean!, newVar: newVar! });
  return y!;
}

/**
 * Conv2d (no bias) then BatchNorm2d, parameters registered in PyTorch order (conv weight, then
 * BN weight, bias, running_mean, running_var). Frozen BN with m.foldFrozenBn (opt-in) is
 * folded into the convolution: s = γ/√(σ²+ε), W' = W·s (per output channel), b' = β − μ·s,
 * y = Conv(x, W', b'). s and b' depend on frozen initializers only (onnxruntime folds them when
 * the session is created) and W' is weight-sized, so this saves one activation-sized pass in
 * the forward (the BN) and one in the backward (its dX product); dW = dW'·s. Measured on the
 * small DeepLab step (bench/results/engine.md): no difference above the noise (< 3 %), so the
 * default keeps the plain BatchNormalization node.
 */
export function convBn(m: ModelContext, convName: string, bnName: string, x: string, cin: number, cout: number, k: number, co: ConvOpts, bn: BnOpts): string {
  if (bn.mode !== 'frozen' || !m.foldFrozenBn) return batchNorm(m, bnName, conv2d(m, convName, x, cin, cout, k, co), cout, bn);
  const g = m.g;
  const w = convWeight(m, convName, cin, cout, k, co);
  const [gamma, beta, mean, vr] = bnParams(m, bnName, cout, false);
  const s = g.op1('Div', [gamma, g.op1('Sqrt', [g.op1('Add', [vr, g.constF32(bn.eps)])])], {}, { name: `${bnName}.fold_scale` });
  const b = g.op1('Sub', [beta, g.op1('Mul', [mean, s])], {}, { name: `${bnName}.fold_shift` });
  const w2 = g.op1('Mul', [w, g.op1('Reshape', [s, g.constI64([cout, 1, 1, 1])])], {}, { name: `${convName}.folded_weight` });
  return convNode(m, convName, [x, w2, b], k, co);
}

export function relu(m: ModelContext, x: string): string {
  return m.g.op1('Relu', [x]);
}

export function maxPool(m: ModelContext, name: string, x: string, k: number, stride: number, pad: number, ceil: boolean): string {
  // with its Indices output, so that the backward pass scatters through the forward's indices
  // instead of pooling a second time (grads/maxpool_grad.ts)
  return maxPoolWithIndices(m.g, x, { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], ceil_mode: ceil ? 1 : 0 }, { name }).y;
}
