/**
 * What a compiled graph expects and returns, in plain serialisable data, so the runtime (and
 * its worker thread) can feed and rotate state without knowing how the graph was built.
 */
import type { Graph, ValueInfo } from '../ir/graph.js';
import type { DType, Shape, TensorData } from '../ir/tensor.js';

/** param: trainable parameter; optim: optimiser state (incl. the step count); buffer: e.g. BN running statistics. */
export type StateRole = 'param' | 'optim' | 'buffer';

/** A tensor that lives between runs (in the runner's state store), fed under its own name. */
export interface StateSlot {
  /** Name of the graph input, and of the tensor in the state store and in checkpoints. */
  readonly name: string;
  readonly role: StateRole;
  readonly dtype: DType;
  readonly shape: Shape;
  /** Graph output holding the value after the step; absent when the graph only reads it. */
  readonly next?: string;
}

export interface GraphSignature {
  readonly kind: 'train' | 'eval';
  /** Inputs the caller feeds on every run (images, labels, weights, ...). */
  readonly data: readonly ValueInfo[];
  /** Scalar float32 learning-rate input (train graphs). */
  readonly lr?: string;
  /** Tensors read from (and, when `next` is set, written back to) the state store. */
  readonly state: readonly StateSlot[];
  /** Scalar loss output (train graphs). */
  readonly loss?: string;
  /**
   * Bool scalar output: the loss, every gradient and every buffer update are finite. When it
   * is false the runtime does not commit the graph's `next` outputs (with the in-graph NaN
   * guard on, they also equal their inputs).
   */
  readonly finite?: string;
  /** Scalar global gradient norm before clipping (when clipping by norm). */
  readonly gradNorm?: string;
  /** Further outputs returned to the caller: the user's name → the graph output's name. */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface CompiledGraph {
  /** The ONNX graph (encode it with lib/engine/onnx/encode.ts `encodeModel`). */
  readonly graph: Graph;
  readonly signature: GraphSignature;
  /**
   * The starting value of every state slot: parameters and buffers from the forward graph's
   * initializers, optimiser state zero, step count 0.
   */
  readonly initialState: Map<string, TensorData>;
}
