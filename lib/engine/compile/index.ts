/**
 * The training-step compiler: turns a forward graph into ONNX graphs that onnxruntime runs.
 *
 * ```ts
 * const fwd = new GraphBuilder('net');           // parameters are initializers
 * ... build forward + scalar loss 'loss' ...
 * const step = compileTrainStep(fwd, {
 *   loss: 'loss',
 *   groups: [{ params: backbone }, { params: head, lrMult: 10 }],   // others stay frozen
 *   optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 },   // or { kind: 'adamw', ... }
 *   clip: { kind: 'norm', maxNorm: 10 },                            // optional
 *   extras: ['ce_loss'], buffers: [{ name: 'bn1.running_mean', from: bnOut[1] }],
 *   seeds: [{ value: logits, grad: ce.dLogits }],   // optional: start from a closed-form dL/dlogits
 * });
 * const evalG = compileEval(fwd, { params: [...backbone, ...head], outputs: ['logits'] });
 * ```
 * A `CompiledGraph` is `{graph, signature, initialState}`:
 * - `graph`: the ONNX graph (inputs: data, 'lr', parameters, optimiser state '<prefix>/<key>/<p>',
 *   '<prefix>/step'; outputs: loss, finite flag, extras, 'next/<state>' for each state tensor);
 * - `signature`: plain data the runtime uses to feed and rotate state (see signature.ts);
 * - `initialState`: parameters/buffers from the initializers, zero optimiser state, step 0.
 * Run it with lib/engine/runtime (`TrainStepRunner`, in a worker or `inThread`), or directly with
 * `runGraph` by feeding every input and copying each 'next/x' output back into x (only when the
 * finite flag is true, or compile with `nanGuard: true`).
 *
 * Semantics follow PyTorch: SGD (momentum, dampening, nesterov, coupled weight decay) and
 * AdamW (decoupled decay, bias correction, ε outside √) in lib/engine/optim; clipping as
 * clip_grad_norm_ / clip_grad_value_ before the optimiser; a non-finite loss, gradient or
 * buffer update sets the finite flag false, and the runtime then commits nothing (the in-graph
 * guard `nanGuard: true` also makes every 'next/x' equal x). Invalid specs throw
 * ConfigError naming the field and tensor. `sumAll`/`sumSquaresAll` reduce large tensors in two
 * stages (onnxruntime's one-stage CPU ReduceSum was 0.6 % off on 4M equal values).
 */
export { compileTrainStep, nextName } from './train-step.js';
export { compileEval, type EvalSpec } from './eval-graph.js';
export type { BufferUpdate, GradSeed, ParamGroup, TrainStepSpec } from './spec.js';
export type { ClipConfig } from './clip.js';
export type { CompiledGraph, GraphSignature, StateRole, StateSlot } from './signature.js';
export { cloneBuilder } from './clone-graph.js';
export { sumAll, sumSquaresAll } from './sum-all.js';
export { ConfigError } from '../optim/config.js';
