/**
 * Train-mode BatchNormalization (training_mode=1) in primitive ops, with PyTorch semantics.
 *
 * onnxruntime 1.30 (CPU) does execute training_mode=1, and Y and running_mean agree with
 * PyTorch, but its running_var follows the ONNX spec literally and blends in the BIASED batch
 * variance, while PyTorch blends in the UNBIASED one. Models come from PyTorch and the
 * reference trainer is PyTorch, so graphs keep BatchNormalization nodes (one node per layer for
 * autodiff, export and inspection) and `lowerTrainingBatchNorm` rewrites the train-mode ones
 * just before encoding (runGraph does this; every other caller of encodeModel must too):
 *
 *   axes = all but 1, n = numel(X)/C        μ = ReduceMean(X)           xc = X − μ
 *   σ² = ReduceMean(xc²) (biased)           inv = 1/√(σ²+ε)             x̂ = xc·inv
 *   Y = x̂·γ + β
 *   running_mean' = momentum·running_mean + (1−momentum)·μ
 *   running_var'  = momentum·running_var  + (1−momentum)·σ²·n/(n−1)   (unbiased, as PyTorch)
 *
 * (ONNX momentum m is PyTorch's 1 − momentum.) The batch statistics are named values
 * (`<node>/bn_mean`, `/bn_inv`, `/bn_xhat`, ...): the gradient rule emits them during the
 * backward pass with `bnBatchStats`, and the lowering moves those same nodes up to the
 * BatchNormalization's position instead of computing the statistics twice.
 */
import { GraphBuilder } from './builder.js';
import { toAttr, type AttrInput } from './attrs.js';
import { attrFloat, attrInt, type Attr, type Graph, type Node } from './graph.js';
import { numel, tensor } from './tensor.js';

const STAT_KEYS = ['mean', 'xc', 'sq', 'var', 've', 'sd', 'inv', 'xhat'] as const;
type StatKey = (typeof STAT_KEYS)[number];

/** Name of one batch statistic of a train-mode BatchNormalization node. */
export function bnStatName(node: Node, key: StatKey): string {
  return `${node.name}/bn_${key}`;
}

/** Names of the batch statistics; all are [1,C,1,...] except xc and xhat (X's shape). */
export interface BnStats { mean: string; xc: string; var: string; sd: string; inv: string; xhat?: string }

export function isTrainingBatchNorm(node: Node): boolean {
  return node.op === 'BatchNormalization' && attrInt(node, 'training_mode', 0) === 1;
}

/** Reduction axes of BatchNormalization: every axis but the channel axis 1. */
export function bnAxes(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);
}

/**
 * The batch statistics of a train-mode BN node, emitted into g (with fixed names) unless they
 * already exist there; x̂ is emitted when withXhat is set.
 */
export function bnBatchStats(g: GraphBuilder, node: Node, withXhat: boolean): BnStats {
  const nm = (k: StatKey) => bnStatName(node, k);
  const x = node.inputs[0]!;
  const emit = (k: StatKey, op: string, ins: string[], attrs: Record<string, AttrInput> = {}) =>
    g.has(nm(k)) ? nm(k) : g.op1(op, ins, attrs, { outputName: nm(k) });
  const axes = bnAxes(g.shape(x).length);
  const mean = emit('mean', 'ReduceMean', [x], { axes, keepdims: 1 });
  const xc = emit('xc', 'Sub', [x, mean]);
  const sq = emit('sq', 'Mul', [xc, xc]);
  const v = emit('var', 'ReduceMean', [sq], { axes, keepdims: 1 });
  const eps = g.has(nm('ve')) ? '' : g.constant(tensor(g.dtype(x), [], [attrFloat(node, 'epsilon', 1e-5)]), 'bn_eps');
  const ve = emit('ve', 'Add', [v, eps]);
  const sd = emit('sd', 'Sqrt', [ve]);
  const inv = emit('inv', 'Reciprocal', [sd]);
  const xhat = withXhat || g.has(nm('xhat')) ? emit('xhat', 'Mul', [xc, inv]) : undefined;
  return { mean, xc, var: v, sd, inv, ...(xhat ? { xhat } : {}) };
}

/** Appends a node whose single output keeps an existing name. */
function emitAs(b: GraphBuilder, op: string, inputs: string[], out: string, attrs: Record<string, AttrInput> = {}): void {
  const at: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(attrs)) at[k] = toAttr(k, v);
  b.addNode({ op, name: b.fresh(`${out}_${op}`), inputs, outputs: [out], attrs: at });
}

function lowerOne(b: GraphBuilder, node: Node): void {
  const [x, scale, bias, rm, rv] = node.inputs as [string, string, string, string, string];
  const xs = b.shape(x);
  const c = xs[1]!;
  const n = numel(xs) / c;
  const bshape = xs.map((d, i) => (i === 1 ? d : 1));
  const st = bnBatchStats(b, node, false);
  const gr = b.op1('Reshape', [scale, b.constI64(bshape)]);
  const br = b.op1('Reshape', [bias, b.constI64(bshape)]);
  const [y, rmOut, rvOut] = [node.outputs[0]!, node.outputs[1] ?? '', node.outputs[2] ?? ''];
  const scaled = st.xhat ? b.op1('Mul', [st.xhat, gr]) : b.op1('Mul', [st.xc, b.op1('Mul', [st.inv, gr])]);
  emitAs(b, 'Add', [scaled, br], y);
  const m = attrFloat(node, 'momentum', 0.9);
  const blend = (running: string, stat: string, k: number, out: string) => {
    const kept = b.op1('Mul', [running, b.constant(tensor(b.dtype(running), [], [m]), 'bn_momentum')]);
    const s = b.op1('Reshape', [stat, b.constI64([c])]);
    const add = b.op1('Mul', [s, b.constant(tensor(b.dtype(running), [], [k]), 'bn_blend')]);
    emitAs(b, 'Add', [kept, add], out);
  };
  if (rmOut) blend(rm, st.mean, 1 - m, rmOut);
  if (rvOut) {
    if (n < 2) throw new Error(`BatchNormalization node '${node.name}': the unbiased running variance needs more than 1 value per channel (input [${xs.join(',')}])`);
    blend(rv, st.var, ((1 - m) * n) / (n - 1), rvOut);
  }
}

/**
 * Rewrites every train-mode BatchNormalization of a graph into primitive ops (see the file
 * comment). Returns the graph itself when it has none; otherwise a new graph (the input graph
 * is not modified).
 */
export function lowerTrainingBatchNorm(graph: Graph): Graph {
  const bns = graph.nodes.filter(isTrainingBatchNorm);
  if (bns.length === 0) return graph;
  const statOwner = new Map<string, Node>();
  for (const bn of bns) for (const k of STAT_KEYS) statOwner.set(bnStatName(bn, k), bn);
  // statistics already emitted by the gradient rule, grouped by their BN node (in order)
  const existing = new Map<Node, Node[]>();
  const moved = new Set<Node>();
  for (const n of graph.nodes) {
    const owner = statOwner.get(n.outputs[0] ?? '');
    if (owner === undefined || n.outputs.length !== 1) continue;
    existing.set(owner, [...(existing.get(owner) ?? []), n]);
    moved.add(n);
  }
  const ng: Graph = {
    name: graph.name, nodes: [...graph.nodes], inputs: [...graph.inputs], outputs: [...graph.outputs],
    initializers: new Map(graph.initializers), values: new Map(graph.values),
  };
  const b = new GraphBuilder(ng); // marks every existing name as used
  ng.nodes.length = 0;
  for (const n of graph.nodes) {
    if (moved.has(n)) continue;
    if (isTrainingBatchNorm(n)) {
      ng.nodes.push(...(existing.get(n) ?? []));
      lowerOne(b, n);
    } else ng.nodes.push(n);
  }
  return ng;
}
