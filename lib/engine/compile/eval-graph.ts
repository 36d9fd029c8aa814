/**
 * The forward-only (inference / evaluation) graph: the forward graph with chosen initializers
 * (parameters, running statistics) turned into inputs, so one session serves every version of
 * the weights (the EMA teacher, checkpoints) without being rebuilt.
 */
import type { GraphBuilder } from '../ir/builder.js';
import type { TensorData } from '../ir/tensor.js';
import { ConfigError } from '../optim/config.js';
import { cloneBuilder, exposeOutput, promoteToInput } from './clone-graph.js';
import type { CompiledGraph, StateSlot } from './signature.js';

export interface EvalSpec {
  /** Values returned by the graph (e.g. logits, predictions); output under their own names. */
  readonly outputs: readonly string[];
  /** Initializers fed from the state store as role 'param' (the weights). */
  readonly params: readonly string[];
  /** Initializers fed from the state store as role 'buffer' (e.g. BN running statistics). Default none. */
  readonly buffers?: readonly string[];
  /** Default '<forward name>_eval'. */
  readonly name?: string;
}

/** Builds the eval graph; `forward` is not modified. Initializers not listed stay constants. */
export function compileEval(forward: GraphBuilder, spec: EvalSpec): CompiledGraph {
  const where = `eval graph of '${forward.graph.name}'`;
  const g = cloneBuilder(forward, spec.name ?? `${forward.graph.name}_eval`);
  const data = [...g.graph.inputs];
  const state: StateSlot[] = [];
  const initialState = new Map<string, TensorData>();
  const seen = new Set<string>();
  const promote = (name: string, role: 'param' | 'buffer', field: string) => {
    if (seen.has(name)) throw new ConfigError(`${where}: ${field}: '${name}' is listed twice`);
    seen.add(name);
    if (!g.graph.initializers.has(name)) throw new ConfigError(`${where}: ${field}: '${name}' is not an initializer of the forward graph`);
    const t = promoteToInput(g, name);
    state.push({ name, role, dtype: t.dtype, shape: [...t.shape] });
    initialState.set(name, t);
  };
  spec.params.forEach((p, i) => promote(p, 'param', `params[${i}]`));
  (spec.buffers ?? []).forEach((b, i) => promote(b, 'buffer', `buffers[${i}]`));
  if (spec.outputs.length === 0) throw new ConfigError(`${where}: outputs must name at least one value`);
  const outputs: Record<string, string> = {};
  spec.outputs.forEach((o, i) => {
    if (!g.has(o)) throw new ConfigError(`${where}: outputs[${i}]: no value named '${o}'`);
    outputs[o] = exposeOutput(g, o);
  });
  return { graph: g.graph, signature: { kind: 'eval', data, state, outputs }, initialState };
}
