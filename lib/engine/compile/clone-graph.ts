/**
 * Copies a forward graph into a new builder (the caller's builder is never modified), and turns
 * initializers into graph inputs (parameters fed from the state store).
 */
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor.js';

/** A new builder over a shallow copy of `src`'s graph, with its build-time constants. Outputs are dropped. */
export function cloneBuilder(src: GraphBuilder, name: string): GraphBuilder {
  const s = src.graph;
  const graph: Graph = {
    name,
    nodes: [...s.nodes],
    inputs: [...s.inputs],
    outputs: [],
    initializers: new Map(s.initializers),
    values: new Map(s.values),
  };
  const g = new GraphBuilder(graph);
  for (const k of s.values.keys()) {
    if (s.initializers.has(k)) continue;
    const c = src.constValue(k);
    if (c !== undefined) g.setConstValue(k, c);
  }
  return g;
}

/** Turns the initializer `name` into a graph input of the same dtype and shape; returns its value. */
export function promoteToInput(g: GraphBuilder, name: string): TensorData {
  const t = g.graph.initializers.get(name);
  if (t === undefined) throw new Error(`graph '${g.graph.name}': '${name}' is not an initializer`);
  g.graph.initializers.delete(name);
  g.graph.inputs.push(g.info(name));
  return t;
}

/** Marks `value` as a graph output; an input or initializer is first copied by an Identity node. */
export function exposeOutput(g: GraphBuilder, value: string): string {
  const isSource = g.graph.inputs.some((i) => i.name === value) || g.graph.initializers.has(value);
  const out = isSource ? g.op1('Identity', [value], {}, { name: `out_${value}` }) : value;
  g.output(out);
  return out;
}
