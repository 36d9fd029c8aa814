/**
 * Export of a (trained) graph as a plain inference ONNX model: the part of the graph that the
 * requested outputs need, with every parameter baked in as an initializer, train-mode
 * BatchNormalization turned into eval mode on the running statistics, and Dropout removed.
 * Loss, backward and optimiser nodes of a training graph are dropped because no requested
 * output depends on them.
 */
import type { Graph, Node, ValueInfo } from '../ir/graph.js';
import { isTrainingBatchNorm } from '../ir/lower-batchnorm.js';
import { sameShape, shapeStr, type TensorData } from '../ir/tensor.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { encodeModel } from './encode.js';

export interface ExportOptions {
  /** Values of `graph` that become the model's outputs, in order. */
  readonly outputs: readonly string[];
  /** Name of the exported graph (default: the source graph's name). */
  readonly name?: string;
  /** producer_name written into the model. */
  readonly producer?: string;
}

export class ExportError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ExportError';
  }
}

/**
 * The inference form of one node, or undefined for a node that disappears (Dropout becomes an
 * alias of its input). `needed` says which of the node's outputs the export uses.
 */
function inferenceNode(n: Node, needed: (o: string) => boolean, alias: Map<string, string>): Node | undefined {
  if (isTrainingBatchNorm(n)) {
    // eval mode: y = γ·(x − running_mean)/sqrt(running_var + ε) + β, with the running
    // statistics taken from the node's inputs 3 and 4 (their values come from `params`)
    n.outputs.slice(1).forEach((o) => {
      if (o && needed(o)) throw new ExportError(`BatchNormalization '${n.name}': its batch-statistics output '${o}' is requested, but an inference model has no batch statistics`);
    });
    const attrs = { ...n.attrs };
    delete attrs['training_mode'];
    delete attrs['momentum'];
    return { ...n, attrs, outputs: [n.outputs[0]!] };
  }
  if (n.op === 'Dropout') {
    if (n.outputs[1] && needed(n.outputs[1])) throw new ExportError(`Dropout '${n.name}': its mask output '${n.outputs[1]}' is requested, but an inference model has no dropout mask`);
    alias.set(n.outputs[0]!, n.inputs[0]!);
    return undefined;
  }
  return n;
}

/**
 * Builds the inference graph (see the file comment). `params` holds the current values of the
 * parameters and buffers (trained weights, running statistics); a name found there becomes an
 * initializer with that value, whether `graph` has it as an input or as an initializer. Its
 * dtype and shape must match the graph's.
 */
export function inferenceGraph(graph: Graph, params: ReadonlyMap<string, TensorData>, opts: ExportOptions): Graph {
  if (opts.outputs.length === 0) throw new ExportError('no outputs requested');
  for (const o of opts.outputs) {
    if (!graph.values.has(o)) throw new ExportError(`requested output '${o}' is not a value of graph '${graph.name}'`);
  }
  // backward slice from the requested outputs (BN batch-statistic outputs and Dropout masks excluded)
  const need = new Set<string>(opts.outputs);
  const keep: Node[] = [];
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k]!;
    if (!n.outputs.some((o) => o !== '' && need.has(o))) continue;
    keep.push(n);
    const drops = n.op === 'Dropout' ? n.inputs.slice(1) : [];
    for (const i of n.inputs) if (i !== '' && !drops.includes(i)) need.add(i);
  }
  keep.reverse();

  const alias = new Map<string, string>();
  const nodes: Node[] = [];
  for (const n of keep) {
    const m = inferenceNode(n, (o) => need.has(o), alias);
    if (m !== undefined) nodes.push(m);
  }
  const resolve = (v: string): string => {
    let x = v;
    while (alias.has(x)) x = alias.get(x)!;
    return x;
  };
  const rewired = nodes.map((n) => (n.inputs.some((i) => alias.has(i)) ? { ...n, inputs: n.inputs.map((i) => (i === '' ? '' : resolve(i))) } : n));
  // an output that was a Dropout result: restore its name with an Identity
  for (const o of opts.outputs) {
    if (alias.has(o)) rewired.push({ op: 'Identity', name: `${o}_identity`, inputs: [resolve(o)], outputs: [o], attrs: {} });
  }

  const out: Graph = { name: opts.name ?? graph.name, nodes: rewired, inputs: [], outputs: [], initializers: new Map(), values: new Map() };
  const produced = new Set(rewired.flatMap((n) => n.outputs));
  const used = new Set<string>([...opts.outputs, ...rewired.flatMap((n) => n.inputs)]);
  used.delete('');
  const graphInputs = new Map(graph.inputs.map((i) => [i.name, i]));
  for (const v of used) {
    if (produced.has(v)) continue;
    const info = graph.values.get(v);
    if (info === undefined) throw new ExportError(`value '${v}' is used but not defined in graph '${graph.name}'`);
    const p = params.get(v);
    if (p !== undefined) {
      if (p.dtype !== info.dtype || !sameShape(p.shape, info.shape)) {
        throw new ExportError(`parameter '${v}': the given value is ${p.dtype} ${shapeStr(p.shape)} but the graph declares ${info.dtype} ${shapeStr(info.shape)}`);
      }
      out.initializers.set(v, p);
    } else if (graph.initializers.has(v)) {
      out.initializers.set(v, graph.initializers.get(v)!);
    } else if (graphInputs.has(v)) {
      out.inputs.push(graphInputs.get(v)!);
    } else {
      throw new ExportError(`value '${v}' is needed by the exported outputs but is neither produced by a node, an initializer, a graph input nor given in params`);
    }
  }
  // keep the source graph's input order
  out.inputs.sort((a, b) => graph.inputs.indexOf(a) - graph.inputs.indexOf(b));
  for (const v of used) out.values.set(v, graph.values.get(v)!);
  for (const n of rewired) for (const o of n.outputs) if (o !== '') out.values.set(o, graph.values.get(o) ?? graph.values.get(resolve(o))!);
  out.outputs = opts.outputs.map((o): ValueInfo => ({ ...graph.values.get(o)!, name: o }));
  return out;
}

/** Serialises the inference model of `graph` (see inferenceGraph) as ONNX ModelProto bytes. */
export function exportInferenceModel(graph: Graph, params: ReadonlyMap<string, TensorData>, opts: ExportOptions): Uint8Array {
  return encodeModel(inferenceGraph(graph, params, opts), opts.producer ? { producer: opts.producer } : {});
}

/** exportInferenceModel written to `file` atomically (temp file + rename). */
export async function saveInferenceModel(file: string, graph: Graph, params: ReadonlyMap<string, TensorData>, opts: ExportOptions): Promise<Uint8Array> {
  const bytes = exportInferenceModel(graph, params, opts);
  await writeFileAtomic(file, bytes);
  return bytes;
}
