/**
 * Removes the Identity nodes that only rename a computed value to its graph-output name
 * (e.g. a state tensor's 'next/<x>'): the producing node writes the output name directly and
 * every consumer reads it under that name. onnxruntime keeps an Identity whose output is a graph
 * output, i.e. one full copy of the tensor per step; this pass saves that copy.
 *
 * An Identity is elided only when its input is produced by a node of the graph (not a graph
 * input or initializer), is not itself a graph output, and feeds no other renaming Identity.
 * Node objects are replaced, never mutated (a compiled graph shares its forward nodes with the
 * caller's builder).
 */
import type { Graph, Node } from '../ir/graph.js';

/** Switch for A/B measurements (bench/engine-variants.ts 'keepid'). */
export const identityTuning = { elide: true };

export function elideRenamingIdentities(graph: Graph, outputNames: ReadonlySet<string>): number {
  if (!identityTuning.elide) return 0;
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map<string, number>();
  const renames = new Map<string, number[]>(); // value → the renaming Identity nodes reading it
  for (const [i, n] of graph.nodes.entries()) {
    for (const o of n.outputs) producer.set(o, i);
    if (n.op === 'Identity' && outputNames.has(n.outputs[0]!)) {
      renames.set(n.inputs[0]!, [...(renames.get(n.inputs[0]!) ?? []), i]);
    }
  }
  const rename = new Map<string, string>();
  const drop = new Set<number>();
  for (const [from, ids] of renames) {
    if (ids.length !== 1 || !producer.has(from) || graphOutputs.has(from)) continue;
    rename.set(from, graph.nodes[ids[0]!]!.outputs[0]!);
    drop.add(ids[0]!);
  }
  if (rename.size === 0) return 0;
  const map = (v: string) => rename.get(v) ?? v;
  const nodes: Node[] = [];
  for (const [i, n] of graph.nodes.entries()) {
    if (drop.has(i)) continue;
    const touches = n.inputs.some((v) => rename.has(v)) || n.outputs.some((v) => rename.has(v));
    nodes.push(touches ? { ...n, inputs: n.inputs.map(map), outputs: n.outputs.map(map) } : n);
  }
  graph.nodes = nodes;
  for (const from of rename.keys()) graph.values.delete(from);
  return rename.size;
}
