/**
 * The training-step compiler: forward graph + loss + parameter groups + optimiser → ONE ONNX
 * graph that computes, in a single run,
 *
 *   loss, extras             = forward(data; params, buffers)
 *   g_k                      = ∂loss/∂p_k                        (lib/engine/autodiff/backward.ts;
 *                                                                  from spec.seeds when given)
 *   finite                   = loss, every g_k and every buffer update finite
 *   g_k                      ← clip(g_k)                          (optional, global norm or value)
 *   p_k', state_k'           = optimiser(p_k, g_k, state_k; lr·lrMult_k, wd_k, step)
 *   next/x                   = x'  (nanGuard: finite ? x' : x)    for every state tensor x
 *   next/<prefix>/step       = step + 1 (when finite)
 *
 * Inputs:  the forward graph's data inputs, `lr` (float32 scalar), every trainable parameter
 *          and buffer (under its own name), every optimiser state tensor ('<prefix>/<key>/<p>')
 *          and the step count '<prefix>/step' (float32 scalar, 0 before the first step).
 * Outputs: the loss, the finite flag, the gradient norm (norm clipping), the extras, 'next/<x>'
 *          for every state tensor x, and optionally 'grad/<p>'.
 * The signature (signature.ts) lists all of this for the runtime.
 */
import { backward } from '../autodiff/backward.js';
import type { GraphBuilder } from '../ir/builder.js';
import { tensor, type TensorData } from '../ir/tensor.js';
import { makeEmitter } from '../optim/make-emitter.js';
import { ConfigError } from '../optim/config.js';
import { clipGradients } from './clip.js';
import { cloneBuilder, exposeOutput, promoteToInput } from './clone-graph.js';
import { elideRenamingIdentities } from './elide-identity.js';
import { commit, finiteFlag } from './finite-guard.js';
import type { CompiledGraph, StateSlot } from './signature.js';
import { resolveSpec, type TrainStepSpec } from './spec.js';

/** Name of the graph output that carries the value of state tensor `name` after the step. */
export const nextName = (name: string): string => `next/${name}`;

/**
 * Compiles one training step. `forward` is not modified: its trainable parameters (and
 * updated buffers) must be initializers; they become inputs of the step graph.
 */
export function compileTrainStep(forward: GraphBuilder, spec: TrainStepSpec): CompiledGraph {
  const s = resolveSpec(forward, spec);
  const g = cloneBuilder(forward, s.name);
  const data = [...g.graph.inputs];
  const slots: StateSlot[] = [];
  const initialState = new Map<string, TensorData>();
  const addSlot = (name: string, role: StateSlot['role'], init: TensorData, next?: string) => {
    slots.push({ name, role, dtype: init.dtype, shape: [...init.shape], ...(next !== undefined ? { next } : {}) });
    initialState.set(name, init);
  };

  const lr = g.input(s.lrInput, 'float32', []);
  const stepName = `${s.statePrefix}/step`;
  const step = g.input(stepName, 'float32', []);
  const params = s.groups.flatMap((grp) => grp.params);
  const paramInit = new Map(params.map((p) => [p, promoteToInput(g, p)]));
  const bufferInit = new Map(s.buffers.map((b) => [b.name, promoteToInput(g, b.name)]));

  const gradOf = backward(g, s.loss, params, s.seeds.length > 0 ? { seeds: s.seeds } : {});
  const rawGrads = params.map((p) => {
    const d = gradOf.get(p);
    if (d === undefined) throw new ConfigError(`training step of graph '${forward.graph.name}': trainable parameter '${p}' does not affect the loss '${s.loss}' (freeze it or remove it from its group)`);
    return d;
  });

  const finite = finiteFlag(g, [s.loss, ...rawGrads, ...s.buffers.map((b) => b.from)]);
  const guard = s.nanGuard ? finite : undefined;
  const clipped = clipGradients(g, rawGrads, s.clip);
  const gradUsed = new Map(params.map((p, i) => [p, clipped.grads[i]!]));

  const emitter = makeEmitter(g, s.optimizer, step);
  for (const grp of s.groups) {
    const lrG = grp.lrMult === 1 ? lr : g.op1('Mul', [lr, g.constF32(grp.lrMult)], {}, { name: 'group_lr' });
    for (const p of grp.params) {
      const init = paramInit.get(p)!;
      const state: Record<string, string> = {};
      for (const key of emitter.stateKeys) state[key] = g.input(`${s.statePrefix}/${key}/${p}`, 'float32', init.shape);
      const res = emitter.update({ param: p, grad: gradUsed.get(p)!, lr: lrG, weightDecay: grp.weightDecay, state });
      addSlot(p, 'param', init, commit(g, guard, res.param, p, nextName(p)));
      for (const key of emitter.stateKeys) {
        const name = state[key]!;
        addSlot(name, 'optim', tensor('float32', init.shape), commit(g, guard, res.state[key]!, name, nextName(name)));
      }
    }
  }
  addSlot(stepName, 'optim', tensor('float32', [], [0]), commit(g, guard, g.op1('Add', [step, g.constF32(1)]), step, nextName(stepName)));
  for (const b of s.buffers) addSlot(b.name, 'buffer', bufferInit.get(b.name)!, commit(g, guard, b.from, b.name, nextName(b.name)));

  const outputs: Record<string, string> = {};
  g.output(s.loss);
  g.output(finite);
  if (clipped.norm !== undefined) g.output(clipped.norm);
  for (const e of s.extras) outputs[e] = e === s.loss ? s.loss : exposeOutput(g, e);
  for (const slot of slots) g.output(slot.next!);
  if (s.outputGrads) {
    for (const p of params) {
      const name = `grad/${p}`;
      outputs[name] = g.op1('Identity', [gradUsed.get(p)!], {}, { outputName: name });
      g.output(name);
    }
  }
  elideRenamingIdentities(g.graph, new Set(slots.map((x) => x.next!)));
  return {
    graph: g.graph,
    signature: {
      kind: 'train',
      data,
      lr,
      state: slots,
      loss: s.loss,
      finite,
      ...(clipped.norm !== undefined ? { gradNorm: clipped.norm } : {}),
      outputs,
    },
    initialState,
  };
}
