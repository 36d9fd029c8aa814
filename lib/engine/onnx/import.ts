/**
 * ONNX model → engine graph, rebuilt through the GraphBuilder for one static input shape so
 * that every value gets static shape inference. Meant for models written by
 * `torch.onnx.export` (opset 17, possibly with dynamic axes):
 * - graph inputs get the static shapes given in `inputShapes` (checked against the declared
 *   rank and fixed dimensions);
 * - initializers keep their names (model weights stay initializers);
 * - Constant nodes become constants; Identity nodes are removed (their output is renamed to
 *   their input);
 * - shape arithmetic is folded by foldConstant (lib/engine/ir/fold.ts): Shape/Size of a
 *   statically shaped value, and nodes whose inputs are all build-time constants, unless they
 *   read a floating-point initializer of the model (a weight, which must stay live so that
 *   gradients reach it) or a value computed from one;
 * - opset 13–18 nodes are brought to opset-17 form (opset-convert.ts);
 * - nodes no output depends on, and initializers no node reads, are dropped at the end.
 */
import { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/graph.js';
import { foldConstant } from '../ir/fold.js';
import { constantNodeValue } from '../ir/shapes/misc.js';
import { shapeStr, type DType, type TensorData } from '../ir/tensor.js';
import { decodeModel, elemTypeName, type DecodedModel, type DecodedValueInfo } from './decode.js';
import { describe, ImportError, MAX_OPSET, MIN_OPSET, toOpset17 } from './opset-convert.js';

export { ImportError } from './opset-convert.js';

export interface ImportOptions {
  /** Static shape of every graph input (initializers listed as inputs excepted), by name. */
  readonly inputShapes: Readonly<Record<string, readonly number[]>>;
  /** Name of the built graph (default: the model's graph name). */
  readonly name?: string;
}

/** A train-mode BatchNormalization's running statistics: feed newMean/newVar back as mean/var. */
export interface BnStatOutputs {
  readonly node: string;
  readonly mean: string;
  readonly var: string;
  readonly newMean: string;
  readonly newVar: string;
}

export interface ImportedModel {
  readonly builder: GraphBuilder;
  /** Graph input names, in the model's order. */
  readonly inputs: string[];
  /** Names of the model's outputs in the built graph, in the model's order. */
  readonly outputs: string[];
  /** The model's own initializers still present after import (weights and buffers). */
  readonly initializers: string[];
  /**
   * Floating-point initializers of the model that are parameters in the usual sense: all
   * those in `initializers` except BatchNormalization running statistics (inputs 3 and 4).
   */
  readonly trainable: string[];
  /** Train-mode BatchNormalization nodes whose updated running statistics are produced. */
  readonly bnStats: BnStatOutputs[];
  /** The default-domain opset of the model file. */
  readonly opset: number;
}

const FLOAT: ReadonlySet<DType> = new Set(['float32', 'float64']);
/** Folded constants larger than this stay computed in the graph (keeps the model small). */
const MAX_FOLD_ELEMENTS = 1 << 16;

function defaultOpset(m: DecodedModel): number {
  const own = m.opsetImports.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (own.length === 0) throw new ImportError('the model imports no default-domain (ai.onnx) opset');
  const v = own[0]!.version;
  if (v < MIN_OPSET) {
    throw new ImportError(`the model uses opset ${v}; opsets older than ${MIN_OPSET} are not converted (Softmax, Squeeze/Unsqueeze, ReduceSum and Split changed meaning or form): re-export it with opset_version=17`);
  }
  if (v > MAX_OPSET) throw new ImportError(`the model uses opset ${v}; the engine imports opsets ${MIN_OPSET}–${MAX_OPSET} (it writes opset 17): re-export it with opset_version=17`);
  return v;
}

/** Nodes in a topological order (the file's order when it already is one). */
function topoSort(nodes: readonly Node[], available: Set<string>): Node[] {
  const out: Node[] = [];
  let pending = [...nodes];
  while (pending.length > 0) {
    const next: Node[] = [];
    for (const n of pending) {
      if (n.inputs.every((i) => i === '' || available.has(i))) {
        out.push(n);
        for (const o of n.outputs) if (o !== '') available.add(o);
      } else next.push(n);
    }
    if (next.length === pending.length) {
      const n = next[0]!;
      const missing = n.inputs.filter((i) => i !== '' && !available.has(i));
      throw new ImportError(`${describe(n)}: input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not a graph input, an initializer or the output of any node (or the graph has a cycle)`);
    }
    pending = next;
  }
  return out;
}

function inputShape(vi: DecodedValueInfo, given: readonly number[] | undefined): number[] {
  const declared = vi.shape ? `[${vi.shape.map((d) => (d === null ? '?' : d)).join(',')}]` : 'unknown';
  if (given === undefined) throw new ImportError(`no static shape given for graph input '${vi.name}' (declared shape ${declared}): pass it in inputShapes`);
  if (given.some((d) => !Number.isInteger(d) || d < 0)) throw new ImportError(`inputShapes['${vi.name}'] = ${shapeStr(given)} is not a valid shape`);
  if (vi.shape !== undefined) {
    if (vi.shape.length !== given.length) throw new ImportError(`inputShapes['${vi.name}'] = ${shapeStr(given)} has rank ${given.length}, but the model declares ${declared}`);
    vi.shape.forEach((d, i) => {
      if (typeof d === 'number' && d > 0 && d !== given[i]) throw new ImportError(`inputShapes['${vi.name}'] = ${shapeStr(given)}: dimension ${i} is fixed to ${d} in the model (declared ${declared})`);
    });
  }
  return [...given];
}

/**
 * Decodes an ONNX model and rebuilds it for the given static input shapes.
 * Returns the builder (its graph is ready to extend with a loss and backward()).
 */
export function importModel(bytes: Uint8Array, opts: ImportOptions): ImportedModel {
  const model = decodeModel(bytes);
  const opset = defaultOpset(model);
  const src = model.graph;
  const g = new GraphBuilder(opts.name ?? (src.name || 'imported'));

  // initializers first: they keep their names
  const origInit = new Set<string>();
  const weights = new Set<string>(); // float initializers: never folded away
  for (const [name, t] of src.initializers) {
    if (name === '') throw new ImportError('the model has an initializer without a name');
    g.initializer(name, t);
    origInit.add(name);
    if (FLOAT.has(t.dtype)) weights.add(name);
  }
  const inputs: string[] = [];
  const given = new Set(Object.keys(opts.inputShapes));
  for (const vi of src.inputs) {
    if (src.initializers.has(vi.name)) continue; // an initializer listed as input (old exporters)
    if (vi.dtype === undefined) throw new ImportError(`graph input '${vi.name}' has element type ${elemTypeName(vi.elemType)}, which the engine does not support`);
    g.input(vi.name, vi.dtype, inputShape(vi, opts.inputShapes[vi.name]));
    inputs.push(vi.name);
    given.delete(vi.name);
  }
  if (given.size > 0) throw new ImportError(`inputShapes names ${[...given].map((n) => `'${n}'`).join(', ')}, which ${given.size > 1 ? 'are not graph inputs' : 'is not a graph input'} (inputs: ${inputs.join(', ')})`);

  const rename = new Map<string, string>();
  const r = (v: string): string => (v === '' ? '' : rename.get(v) ?? v);
  const tainted = new Set<string>(weights); // values computed from model weights
  const defineConst = (orig: string, t: TensorData): void => {
    const name = g.constant(t, orig);
    if (name !== orig) rename.set(orig, name);
  };

  const nodes = topoSort(src.nodes, new Set([...inputs, ...src.initializers.keys()]));
  for (const raw of nodes) {
    if (raw.domain) throw new ImportError(`${describe(raw)} is in op domain '${raw.domain}'; only standard ONNX (ai.onnx) ops are supported`);
    const renamed: Node = { ...raw, inputs: raw.inputs.map(r) };
    if (raw.op === 'Identity') {
      rename.set(raw.outputs[0]!, renamed.inputs[0]!);
      if (tainted.has(renamed.inputs[0]!)) tainted.add(raw.outputs[0]!);
      continue;
    }
    if (raw.op === 'Constant') {
      const t = constantNodeValue(raw);
      if (t === undefined) throw new ImportError(`${describe(raw)}: unsupported value attribute (${Object.keys(raw.attrs).join(', ') || 'none'}); only value, value_float(s) and value_int(s) are supported`);
      defineConst(raw.outputs[0]!, t);
      continue;
    }
    const node = toOpset17(renamed, opset, {
      constValue: (v) => g.constValue(v),
      shape: (v) => g.shape(v),
      constant: (t, prefix) => g.constant(t, prefix),
    });
    const shapeOnly = node.op === 'Shape' || node.op === 'Size'; // never depends on values
    if (!shapeOnly && node.inputs.some((i) => i !== '' && tainted.has(i))) {
      for (const o of node.outputs) if (o !== '') tainted.add(o);
    } else {
      const folded = foldNode(g, node);
      if (folded !== undefined) {
        node.outputs.forEach((o, k) => { if (o !== '') defineConst(o, folded[k]!); });
        continue;
      }
    }
    addRenamed(g, node, rename);
  }

  const outputs = src.outputs.map((o) => {
    const actual = r(o.name);
    if (!g.has(actual)) throw new ImportError(`graph output '${o.name}' is not produced by any node`);
    if (actual !== o.name && !g.has(o.name)) {
      // keep the model's output name (its producer was an Identity or a renamed value)
      g.addNode({ op: 'Identity', name: g.fresh(`${o.name}_identity`), inputs: [actual], outputs: [o.name], attrs: {} });
      return o.name;
    }
    return actual;
  });
  for (const o of outputs) g.output(o);
  const kept = prune(g, outputs);

  const bnStats: BnStatOutputs[] = [];
  const stats = new Set<string>();
  for (const n of g.graph.nodes) {
    if (n.op !== 'BatchNormalization') continue;
    for (const i of [3, 4]) if (n.inputs[i]) stats.add(n.inputs[i]!);
    if (n.outputs[1] && n.outputs[2]) bnStats.push({ node: n.name, mean: n.inputs[3]!, var: n.inputs[4]!, newMean: n.outputs[1], newVar: n.outputs[2] });
  }
  const initializers = [...origInit].filter((n) => kept.has(n));
  return {
    builder: g,
    inputs,
    outputs,
    initializers,
    trainable: initializers.filter((n) => weights.has(n) && !stats.has(n)),
    bnStats,
    opset,
  };
}

/** Adds an original node, renaming outputs whose names the builder already used. */
function addRenamed(g: GraphBuilder, node: Node, rename: Map<string, string>): void {
  const outputs = node.outputs.map((o) => {
    if (o === '') return o;
    if (!g.has(o)) return o;
    const fresh = g.fresh(o);
    rename.set(o, fresh);
    return fresh;
  });
  g.addNode({ ...node, name: g.fresh(node.name || node.op), outputs });
}

/**
 * The build-time values of a node's outputs when they can be computed now (foldConstant:
 * Shape/Size from the static shape, other supported ops when every input is a constant).
 */
function foldNode(g: GraphBuilder, node: Node): TensorData[] | undefined {
  const vals = node.inputs.map((i) => (i === '' ? undefined : g.constValue(i)));
  if (vals.some((v) => v !== undefined && v.data.length > MAX_FOLD_ELEMENTS)) return undefined;
  const infos = node.inputs.map((i) => (i === '' ? undefined : g.info(i)));
  return foldConstant(node, vals, infos, { maxElements: MAX_FOLD_ELEMENTS });
}

/** Removes nodes no output needs and initializers no node reads; returns the kept value names. */
function prune(g: GraphBuilder, outputs: readonly string[]): Set<string> {
  const gr = g.graph;
  const need = new Set<string>(outputs);
  const keep: Node[] = [];
  for (let k = gr.nodes.length - 1; k >= 0; k--) {
    const n = gr.nodes[k]!;
    if (!n.outputs.some((o) => o !== '' && need.has(o))) continue;
    keep.push(n);
    for (const i of n.inputs) if (i !== '') need.add(i);
  }
  keep.reverse();
  const inputs = new Set(gr.inputs.map((i) => i.name));
  const kept = new Set<string>();
  for (const n of keep) for (const o of n.outputs) if (o !== '') kept.add(o);
  for (const v of need) kept.add(v);
  for (const v of inputs) kept.add(v);
  gr.nodes.splice(0, gr.nodes.length, ...keep);
  for (const name of [...gr.initializers.keys()]) if (!kept.has(name)) gr.initializers.delete(name);
  for (const name of [...gr.values.keys()]) if (!kept.has(name)) gr.values.delete(name);
  return kept;
}
