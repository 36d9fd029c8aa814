/**
 * Parameter bookkeeping of a model: every weight is a graph initializer named with PyTorch
 * state-dict conventions (e.g. layer1.0.conv1.weight), tagged trainable or frozen and with its
 * group (backbone / head / metric; the head gets lr ×10 in DeepLab training).
 */
export type ParamGroup = 'backbone' | 'head' | 'metric';
export type ParamRole = 'conv_weight' | 'conv_bias' | 'bn_weight' | 'bn_bias' | 'bn_running_mean' | 'bn_running_var';

export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParamRole;
  readonly group: ParamGroup;
  /** Receives gradients and optimiser updates. Running statistics are never trainable. */
  readonly trainable: boolean;
}

/** Train-mode BN: the graph outputs that hold the updated running statistics (ONNX
 *  BatchNormalization training_mode=1 outputs 1 and 2). Feed them back as the new values. */
export interface BnStatUpdate {
  readonly module: string;
  readonly mean: string;
  readonly var: string;
  readonly newMean: string;
  readonly newVar: string;
}

export interface ModelParams {
  /** All initializers of the model, in creation order (= PyTorch state-dict order). */
  readonly all: readonly ParamInfo[];
  readonly trainable: readonly string[];
  /** Not trained: frozen weights and running statistics. */
  readonly frozen: readonly string[];
  /** Trainable names by group. */
  readonly head: readonly string[];
  readonly backbone: readonly string[];
  readonly metric: readonly string[];
}

export function summarise(all: readonly ParamInfo[]): ModelParams {
  const tr = all.filter((p) => p.trainable);
  return {
    all,
    trainable: tr.map((p) => p.name),
    frozen: all.filter((p) => !p.trainable).map((p) => p.name),
    head: tr.filter((p) => p.group === 'head').map((p) => p.name),
    backbone: tr.filter((p) => p.group === 'backbone').map((p) => p.name),
    metric: tr.filter((p) => p.group === 'metric').map((p) => p.name),
  };
}

/** Number of scalar values in the given parameters. */
export function countValues(ps: readonly ParamInfo[]): number {
  return ps.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
}
