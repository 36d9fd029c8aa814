/**
 * Reverse-mode autodiff over a GraphBuilder's graph: appends the backward pass (standard ONNX
 * ops only) and returns the gradient value name of each requested tensor.
 */
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import { gradRule, NoGradientError } from './registry.js';
import './grads/index.js';

const FLOAT = new Set(['float32', 'float64']);

export interface BackwardOptions {
  /** Name of dL/dloss; default: a constant of ones with the loss's shape. */
  seed?: string;
  /**
   * Start from these value gradients instead of from the loss (dL/d(value) = grad for each):
   * e.g. a loss's closed-form dL/dlogits. The loss itself is then not differentiated (`seed`
   * is ignored); only nodes between `wrt` and the seeded values are.
   */
  seeds?: readonly { readonly value: string; readonly grad: string }[];
}

/**
 * Computes d(loss)/d(w) for every w in wrt. Returns a map from each w to its gradient's name;
 * a w that the loss does not depend on maps to undefined.
 */
export function backward(g: GraphBuilder, loss: string, wrt: readonly string[], opts: BackwardOptions = {}): Map<string, string | undefined> {
  const nodes = [...g.graph.nodes];
  const wrtSet = new Set(wrt);

  // values that depend on some wrt (forward reachability)
  const dependsOnWrt = new Set<string>(wrt);
  for (const n of nodes) {
    if (n.inputs.some((i) => dependsOnWrt.has(i))) for (const o of n.outputs) if (o) dependsOnWrt.add(o);
  }
  // values the loss depends on (backward reachability)
  const seeded = opts.seeds !== undefined && opts.seeds.length > 0;
  const lossNeeds = new Set<string>(seeded ? opts.seeds!.map((s) => s.value) : [loss]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (n.outputs.some((o) => lossNeeds.has(o))) for (const i of n.inputs) if (i) lossNeeds.add(i);
  }
  const active = (v: string) => v !== '' && dependsOnWrt.has(v) && lossNeeds.has(v) && FLOAT.has(g.dtype(v));

  const contributions = new Map<string, string[]>();
  const add = (v: string, grad: string) => {
    const l = contributions.get(v);
    if (l) l.push(grad);
    else contributions.set(v, [grad]);
  };
  const total = (v: string): string | undefined => {
    const l = contributions.get(v);
    if (!l || l.length === 0) return undefined;
    if (l.length === 1) return l[0];
    const s = g.op1('Sum', l, {}, { name: `grad_sum_${v}` });
    contributions.set(v, [s]);
    return s;
  };

  if (seeded) {
    for (const s of opts.seeds!) add(s.value, s.grad);
  } else {
    const seed = opts.seed ?? g.constant(tensor(g.dtype(loss), g.shape(loss), new Array(g.shape(loss).reduce((a, b) => a * b, 1)).fill(1)), 'grad_seed');
    add(loss, seed);
  }

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (!node.outputs.some((o) => active(o))) continue;
    const dy = node.outputs.map((o) => (active(o) ? total(o) : undefined));
    if (dy.every((d) => d === undefined)) continue;
    const wants = node.inputs.map((i) => active(i));
    if (!wants.some(Boolean)) continue;
    const rule = gradRule(node.op);
    if (rule === undefined) throw new NoGradientError(node);
    const dx = rule({ g, node, dy, wants });
    node.inputs.forEach((inp, i) => {
      const d = dx[i];
      if (wants[i] && d !== undefined) add(inp, d);
    });
  }

  const out = new Map<string, string | undefined>();
  for (const w of wrtSet) out.set(w, total(w));
  return out;
}
