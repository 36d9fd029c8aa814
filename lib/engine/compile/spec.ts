/**
 * What to compile into a training step, and its validation against the forward graph
 * (every error names the offending field and tensor).
 */
import type { GraphBuilder } from '../ir/builder.js';
import { numel } from '../ir/tensor.js';
import { ConfigError, resolveOptimizer, type OptimizerConfig, type ResolvedOptimizer } from '../optim/config.js';
import type { ClipConfig } from './clip.js';

/** Parameters sharing a learning-rate multiplier and a weight decay (torch param_groups). */
export interface ParamGroup {
  /** Names of initializers of the forward graph that are trained in this group. */
  readonly params: readonly string[];
  /** The group's rate is lr·lrMult (DeepLab head ×10, proxies ×100). Default 1. */
  readonly lrMult?: number;
  /** Overrides the optimiser's weight decay for this group (e.g. 0 for biases). */
  readonly weightDecay?: number;
}

/**
 * A non-trainable state tensor replaced after every step by a forward value, e.g. a train-mode
 * BatchNormalization's running mean (the node's output 1) replacing its `running_mean`
 * initializer (the node's input 3).
 */
export interface BufferUpdate {
  /** The initializer that holds the buffer (becomes a state input). */
  readonly name: string;
  /** The forward value that holds its new value (same dtype and shape). */
  readonly from: string;
}

/** A value gradient the backward pass starts from (see TrainStepSpec.seeds). */
export interface GradSeed {
  /** A forward value (e.g. the logits). */
  readonly value: string;
  /** dL/d(value), a forward value of the same dtype and shape. */
  readonly grad: string;
}

export interface TrainStepSpec {
  /** Scalar loss value of the forward graph. */
  readonly loss: string;
  /** Trainable parameters; every other initializer stays a frozen constant. */
  readonly groups: readonly ParamGroup[];
  readonly optimizer: OptimizerConfig;
  /** Gradient clipping by global norm or by value (default none). */
  readonly clip?: ClipConfig;
  /** Forward values returned to the caller after each step (e.g. per-term losses). */
  readonly extras?: readonly string[];
  /** Buffers (running statistics) updated by the step. */
  readonly buffers?: readonly BufferUpdate[];
  /** Also output the gradients actually used (after clipping) as outputs 'grad/<param>'. Default false. */
  readonly outputGrads?: boolean;
  /**
   * Keep parameters, states and buffers unchanged in the graph itself when the step is not
   * finite (one Where per state tensor). Default false: the finite flag is always an output and
   * the runtime (StepExecutor) never commits a non-finite step, so the in-graph guard is only
   * needed for graphs run outside the runtime.
   */
  readonly nanGuard?: boolean;
  /**
   * Start the backward pass from given value gradients instead of differentiating the loss:
   * each seed's `grad` is dL/d`value` (same dtype and shape), e.g. the closed-form dLogits of
   * losses/cross-entropy.ts. The loss is then only reported, never differentiated; the seeds
   * must together account for every path from the parameters to the loss. Default none.
   */
  readonly seeds?: readonly GradSeed[];
  /** Name of the scalar learning-rate input. Default 'lr'. */
  readonly lrInput?: string;
  /**
   * Prefix of the optimiser-state names: '<prefix>/step' and '<prefix>/<key>/<param>'. Give
   * different prefixes to steps that share one runner but not their optimiser. Default 'optim'.
   */
  readonly statePrefix?: string;
  /** Name of the compiled graph. Default '<forward name>_train_step'. */
  readonly name?: string;
}

export interface ResolvedGroup {
  readonly params: readonly string[];
  readonly lrMult: number;
  readonly weightDecay: number;
}

export interface ResolvedSpec {
  readonly loss: string;
  readonly groups: readonly ResolvedGroup[];
  readonly optimizer: ResolvedOptimizer;
  readonly clip?: ClipConfig;
  readonly extras: readonly string[];
  readonly buffers: readonly BufferUpdate[];
  readonly outputGrads: boolean;
  readonly nanGuard: boolean;
  readonly seeds: readonly GradSeed[];
  readonly lrInput: string;
  readonly statePrefix: string;
  readonly name: string;
}

/** Validates `spec` against the forward graph and fills in the defaults. */
export function resolveSpec(fwd: GraphBuilder, spec: TrainStepSpec): ResolvedSpec {
  const where = `training step of graph '${fwd.graph.name}'`;
  const fail = (msg: string): never => {
    throw new ConfigError(`${where}: ${msg}`);
  };
  if (!fwd.has(spec.loss)) fail(`loss: no value named '${spec.loss}'`);
  const lossInfo = fwd.info(spec.loss);
  if (lossInfo.dtype !== 'float32' || numel(lossInfo.shape) !== 1) fail(`loss: '${spec.loss}' must be a float32 scalar (it is ${lossInfo.dtype} [${lossInfo.shape.join(',')}])`);
  const optimizer = resolveOptimizer(spec.optimizer, 'optimizer');
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) fail('groups must be a non-empty array of parameter groups');
  const seen = new Map<string, number>();
  const groups = spec.groups.map((grp, gi): ResolvedGroup => {
    const f = `groups[${gi}]`;
    const lrMult = grp.lrMult ?? 1;
    if (typeof lrMult !== 'number' || !Number.isFinite(lrMult) || lrMult < 0) fail(`${f}.lrMult must be a number ≥ 0 (got ${JSON.stringify(grp.lrMult)})`);
    const wd = grp.weightDecay ?? optimizer.weightDecay;
    if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0) fail(`${f}.weightDecay must be a number ≥ 0 (got ${JSON.stringify(grp.weightDecay)})`);
    if (!Array.isArray(grp.params) || grp.params.length === 0) fail(`${f}.params must be a non-empty array of parameter names`);
    for (const p of grp.params) {
      if (seen.has(p)) fail(`${f}.params: '${p}' is already in groups[${seen.get(p)}]`);
      seen.set(p, gi);
      const t = fwd.graph.initializers.get(p);
      if (t === undefined) fail(`${f}.params: '${p}' is not an initializer of the forward graph${fwd.has(p) ? ' (it is a computed value or an input)' : ''}`);
      if (t!.dtype !== 'float32') fail(`${f}.params: '${p}' is ${t!.dtype}; trainable parameters must be float32`);
    }
    return { params: [...grp.params], lrMult, weightDecay: wd };
  });
  const buffers = (spec.buffers ?? []).map((b, i) => {
    const f = `buffers[${i}]`;
    const t = fwd.graph.initializers.get(b.name);
    if (t === undefined) fail(`${f}.name: '${b.name}' is not an initializer of the forward graph`);
    if (seen.has(b.name)) fail(`${f}.name: '${b.name}' is also a trainable parameter`);
    seen.set(b.name, -1);
    if (!fwd.has(b.from)) fail(`${f}.from: no value named '${b.from}'`);
    const fi = fwd.info(b.from);
    if (fi.dtype !== t!.dtype || fi.shape.join(',') !== t!.shape.join(',')) {
      fail(`${f}: '${b.from}' is ${fi.dtype} [${fi.shape.join(',')}] but buffer '${b.name}' is ${t!.dtype} [${t!.shape.join(',')}]`);
    }
    return { name: b.name, from: b.from };
  });
  const extras = [...new Set(spec.extras ?? [])];
  for (const e of extras) if (!fwd.has(e)) fail(`extras: no value named '${e}'`);
  if (spec.clip !== undefined) {
    const c = spec.clip;
    if (c.kind === 'norm') {
      if (!(typeof c.maxNorm === 'number' && c.maxNorm > 0 && Number.isFinite(c.maxNorm))) fail(`clip.maxNorm must be a positive number (got ${JSON.stringify(c.maxNorm)})`);
    } else if (c.kind === 'value') {
      if (!(typeof c.value === 'number' && c.value > 0 && Number.isFinite(c.value))) fail(`clip.value must be a positive number (got ${JSON.stringify(c.value)})`);
    } else fail(`clip.kind must be 'norm' or 'value' (got ${JSON.stringify((c as { kind?: unknown }).kind)})`);
  }
  const seeds = (spec.seeds ?? []).map((sd, i) => {
    const f = `seeds[${i}]`;
    if (!fwd.has(sd.value)) fail(`${f}.value: no value named '${sd.value}'`);
    if (!fwd.has(sd.grad)) fail(`${f}.grad: no value named '${sd.grad}'`);
    const vi = fwd.info(sd.value);
    const gi = fwd.info(sd.grad);
    if (vi.dtype !== gi.dtype || vi.shape.join(',') !== gi.shape.join(',')) {
      fail(`${f}: grad '${sd.grad}' is ${gi.dtype} [${gi.shape.join(',')}] but value '${sd.value}' is ${vi.dtype} [${vi.shape.join(',')}]`);
    }
    return { value: sd.value, grad: sd.grad };
  });
  const lrInput = spec.lrInput ?? 'lr';
  const statePrefix = spec.statePrefix ?? 'optim';
  if (fwd.has(lrInput)) fail(`lrInput: the forward graph already has a value named '${lrInput}'`);
  return {
    loss: spec.loss,
    groups,
    optimizer,
    ...(spec.clip ? { clip: spec.clip } : {}),
    extras,
    buffers,
    outputGrads: spec.outputGrads ?? false,
    nanGuard: spec.nanGuard ?? false,
    seeds,
    lrInput,
    statePrefix,
    name: spec.name ?? `${fwd.graph.name}_train_step`,
  };
}
