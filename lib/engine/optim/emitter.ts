/**
 * The interface between the training-step compiler and an optimiser: an emitter writes, into
 * the step graph, the update of one parameter from its gradient and its state tensors.
 */
import type { GraphBuilder } from '../ir/builder.js';

/** What the compiler hands an emitter for one parameter. */
export interface ParamUpdate {
  /** The parameter's current value (a graph input). */
  readonly param: string;
  /** Its (clipped) gradient. */
  readonly grad: string;
  /** Scalar learning rate of the parameter's group (lr · lrMult). */
  readonly lr: string;
  /** Weight decay of the parameter's group. */
  readonly weightDecay: number;
  /** Current value of each per-parameter state tensor, by key (see `stateKeys`). */
  readonly state: Readonly<Record<string, string>>;
}

export interface UpdateResult {
  /** The updated parameter. */
  readonly param: string;
  /** The updated state tensors, by key. */
  readonly state: Readonly<Record<string, string>>;
}

export interface OptimizerEmitter {
  /**
   * Per-parameter state tensors (same dtype and shape as the parameter, zero at the start),
   * named like PyTorch's optimiser state: 'momentum_buffer', 'exp_avg', 'exp_avg_sq'.
   */
  readonly stateKeys: readonly string[];
  /** Emits the update of one parameter. */
  update(u: ParamUpdate): UpdateResult;
}

/** Cached float32 scalar constants, so an emitter does not repeat the same constant. */
export function scalarCache(g: GraphBuilder): (v: number) => string {
  const cache = new Map<number, string>();
  return (v) => {
    let n = cache.get(v);
    if (n === undefined) {
      n = g.constF32(v);
      cache.set(v, n);
    }
    return n;
  };
}
