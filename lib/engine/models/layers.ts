/**
 * Layer helpers shared by the model builders: Conv2d, BatchNorm (frozen or train mode), ReLU,
 * MaxPool. Each registers its parameters (named like PyTorch modules) with seeded init:
 * convs Kaiming-normal fan_out (torchvision: std = sqrt(2 / (C_out·k·k))), or normal(0, std)
 * when given; BN γ=1, β=0, running mean 0, running var 1.
 */
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import { Rng } from '../../data/rng.js';
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

/** Conv2d(cin→cout, k×k), no groups. X [N,cin,H,W] → [N,cout,Ho,Wo]. */
export function conv2d(m: ModelContext, name: string, x: string, cin: number, cout: number, k: number, o: ConvOpts = {}): string {
  const stride = o.stride ?? 1;
  const pad = o.padding ?? 0;
  const dil = o.dilation ?? 1;
  const std = o.initStd ?? Math.sqrt(2 / (cout * k * k));
  const trainable = o.trainable ?? true;
  const w = m.param(`${name}.weight`, [cout, cin, k, k], 'conv_weight', trainable, normalArray(m.rngFor(`${name}.weight`), cout * cin * k * k, std));
  const inputs = [x, w];
  if (o.bias) inputs.push(m.param(`${name}.bias`, [cout], 'conv_bias', trainable, new Float32Array(cout)));
  return m.g.op1('Conv', inputs, {
    kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [dil, dil], group: 1,
  }, { name });
}

export interface BnOpts { mode: BnMode; eps: number; momentum: number }

/**
 * BatchNorm2d. 'frozen': BatchNormalization training_mode=0 with constant (non-trainable)
 * γ, β, running mean/var: y = γ·(x−μ)/sqrt(σ²+ε) + β per channel. 'train': training_mode=1
 * (batch statistics), γ/β trainable, updated running statistics exposed in m.bnUpdates
 * (ONNX momentum = 1 − PyTorch momentum).
 */
export function batchNorm(m: ModelContext, name: string, x: string, c: number, o: BnOpts): string {
  const train = o.mode === 'train';
  const gamma = m.param(`${name}.weight`, [c], 'bn_weight', train, new Float32Array(c).fill(1));
  const beta = m.param(`${name}.bias`, [c], 'bn_bias', train, new Float32Array(c));
  const mean = m.param(`${name}.running_mean`, [c], 'bn_running_mean', false, new Float32Array(c));
  const vr = m.param(`${name}.running_var`, [c], 'bn_running_var', false, new Float32Array(c).fill(1));
  const attrs = { epsilon: o.eps, momentum: 1 - o.momentum, training_mode: train ? 1 : 0 };
  if (!train) return m.g.op1('BatchNormalization', [x, gamma, beta, mean, vr], attrs, { name });
  const [y, newMean, newVar] = m.g.op('BatchNormalization', [x, gamma, beta, mean, vr], attrs, {
    name, outputNames: [`${name}.y`, `${name}.running_mean_next`, `${name}.running_var_next`],
  });
  m.bnUpdates.push({ module: name, mean, var: vr, newMean: newMean!, newVar: newVar! });
  return y!;
}

export function relu(m: ModelContext, x: string): string {
  return m.g.op1('Relu', [x]);
}

export function maxPool(m: ModelContext, name: string, x: string, k: number, stride: number, pad: number, ceil: boolean): string {
  return m.g.op1('MaxPool', [x], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], ceil_mode: ceil ? 1 : 0 }, { name });
}
