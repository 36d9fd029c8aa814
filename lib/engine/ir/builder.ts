/**
 * GraphBuilder: the typed API every part of the engine uses to write ONNX graphs. Each added
 * node is shape-inferred at once, so `shape(name)` is always known (static shapes).
 */
import type { Attr, Graph, Node, ValueInfo } from './graph.js';
import { toAttr, type AttrInput } from './attrs.js';
import { shapeFn, ShapeError } from './shape-registry.js';
import { tensor, type DType, type Shape, type TensorData } from './tensor.js';
import './shapes/index.js';

export interface OpOptions {
  /** Number of outputs (default 1). */
  outputs?: number;
  /** Explicit output names (default: fresh names derived from the node name). */
  outputNames?: string[];
  name?: string;
  domain?: string;
}

export type Attrs = Record<string, AttrInput | undefined>;

export class GraphBuilder {
  readonly graph: Graph;
  /** Constant values known at build time, beyond initializers (e.g. folded Constant nodes). */
  private readonly consts = new Map<string, TensorData>();
  private counter = 0;
  private readonly used = new Set<string>();

  constructor(graphOrName: Graph | string = 'graph') {
    if (typeof graphOrName === 'string') {
      this.graph = { name: graphOrName, nodes: [], inputs: [], outputs: [], initializers: new Map(), values: new Map() };
    } else {
      this.graph = graphOrName;
      for (const k of this.graph.values.keys()) this.used.add(k);
      for (const n of this.graph.nodes) this.used.add(n.name);
    }
  }

  /** A name not used yet in this graph, derived from prefix. */
  fresh(prefix: string): string {
    const base = prefix.replace(/[^A-Za-z0-9_.:/-]/g, '_');
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`graph '${this.graph.name}': the name '${name}' is already defined`);
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Shape): string {
    this.claim(name);
    const vi: ValueInfo = { name, dtype, shape: [...shape] };
    this.graph.inputs.push(vi);
    this.graph.values.set(name, vi);
    return name;
  }

  /** A named initializer (a parameter or a constant). */
  initializer(name: string, t: TensorData): string {
    this.claim(name);
    return this.setInit(name, t);
  }

  private setInit(name: string, t: TensorData): string {
    this.graph.initializers.set(name, t);
    this.graph.values.set(name, { name, dtype: t.dtype, shape: [...t.shape] });
    return name;
  }

  /** An anonymous constant (stored as an initializer). */
  constant(t: TensorData, prefix = 'const'): string {
    return this.setInit(this.fresh(prefix), t);
  }

  constF32(values: number[] | number, shape?: Shape): string {
    const arr = typeof values === 'number' ? [values] : values;
    return this.constant(tensor('float32', shape ?? (typeof values === 'number' ? [] : [arr.length]), arr), 'c');
  }

  constI64(values: readonly number[], shape?: Shape): string {
    return this.constant(tensor('int64', shape ?? [values.length], values), 'c');
  }

  output(name: string): void {
    const vi = this.info(name);
    if (!this.graph.outputs.some((o) => o.name === name)) this.graph.outputs.push(vi);
  }

  has(name: string): boolean {
    return this.graph.values.has(name);
  }

  info(name: string): ValueInfo {
    const v = this.graph.values.get(name);
    if (v === undefined) throw new Error(`graph '${this.graph.name}': no value named '${name}'`);
    return v;
  }

  shape(name: string): number[] {
    return [...this.info(name).shape];
  }

  dtype(name: string): DType {
    return this.info(name).dtype;
  }

  /** The constant value of a name when it is known at build time. */
  constValue(name: string): TensorData | undefined {
    return this.graph.initializers.get(name) ?? this.consts.get(name);
  }

  /** Record a build-time constant value for a node output (used by constant folding). */
  setConstValue(name: string, t: TensorData): void {
    this.consts.set(name, t);
  }

  /** Add a node; returns its output names. Shape inference runs immediately. */
  op(type: string, inputs: readonly string[], attrs: Attrs = {}, opts: OpOptions = {}): string[] {
    const name = this.fresh(opts.name ?? type);
    const nOut = opts.outputNames?.length ?? opts.outputs ?? 1;
    const outputs = opts.outputNames ? opts.outputNames.map((o) => this.claim(o)) : Array.from({ length: nOut }, (_, i) => this.fresh(nOut === 1 ? `${name}_out` : `${name}_out${i}`));
    const at: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) at[k] = toAttr(k, v);
    const node: Node = { op: type, name, inputs: [...inputs], outputs, attrs: at, ...(opts.domain ? { domain: opts.domain } : {}) };
    this.addNode(node);
    return outputs;
  }

  /** Single-output convenience form of op(). */
  op1(type: string, inputs: readonly string[], attrs: Attrs = {}, opts: Omit<OpOptions, 'outputs' | 'outputNames'> & { outputName?: string } = {}): string {
    return this.op(type, inputs, attrs, { ...opts, ...(opts.outputName ? { outputNames: [opts.outputName] } : {}) })[0]!;
  }

  /** Append an already-formed node (its output names must be new), inferring its shapes. */
  addNode(node: Node): void {
    const fn = shapeFn(node.op);
    if (fn === undefined) throw new ShapeError(node, `no shape inference is registered for op ${node.op}`);
    const inputs = node.inputs.map((n) => {
      if (n === '') return undefined;
      const v = this.graph.values.get(n);
      if (v === undefined) throw new ShapeError(node, `input '${n}' is not defined`);
      return v;
    });
    const outs = fn({ node, inputs, constValue: (i) => (node.inputs[i] ? this.constValue(node.inputs[i]!) : undefined) });
    node.outputs.forEach((o, i) => {
      if (o === '') return;
      const oi = outs[i];
      if (oi === undefined) throw new ShapeError(node, `shape inference gave no info for output ${i}`);
      if (oi.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(node, `output ${i} has an invalid shape [${oi.shape.join(',')}]`);
      this.used.add(o);
      this.graph.values.set(o, { name: o, dtype: oi.dtype, shape: [...oi.shape] });
    });
    this.used.add(node.name);
    this.graph.nodes.push(node);
  }
}
