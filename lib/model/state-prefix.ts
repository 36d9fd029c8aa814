/**
 * Renaming the state tensors of a compiled graph with a prefix ('teacher/' + name), so that
 * several copies of one network (student, teacher, EMA, …) can live in one runner's state
 * store. Only graph inputs that are state slots are renamed (with every node input reading
 * them); data inputs, outputs and 'next/…' outputs keep their names.
 */
import type { Graph } from '../engine/ir/graph.js';
import type { CompiledGraph, StateSlot } from '../engine/compile/signature.js';
import type { TensorData } from '../engine/ir/tensor.js';

export function withStatePrefix(c: CompiledGraph, prefix: string): CompiledGraph {
  if (prefix === '') return c;
  const names = new Set(c.signature.state.map((s) => s.name));
  const ren = (n: string) => (names.has(n) ? `${prefix}${n}` : n);
  const g = c.graph;
  for (const i of g.inputs) if (names.has(i.name) && g.values.has(`${prefix}${i.name}`)) throw new Error(`withStatePrefix: '${prefix}${i.name}' already exists in graph '${g.name}'`);
  const values = new Map([...g.values].map(([k, v]) => [ren(k), { ...v, name: ren(k) }]));
  const graph: Graph = {
    ...g,
    inputs: g.inputs.map((i) => ({ ...i, name: ren(i.name) })),
    nodes: g.nodes.map((n) => (n.inputs.some((i) => names.has(i)) ? { ...n, inputs: n.inputs.map(ren) } : n)),
    values,
  };
  const state: StateSlot[] = c.signature.state.map((s) => ({ ...s, name: ren(s.name) }));
  const initialState = new Map<string, TensorData>([...c.initialState].map(([k, v]) => [ren(k), v]));
  return { graph, signature: { ...c.signature, state }, initialState };
}
