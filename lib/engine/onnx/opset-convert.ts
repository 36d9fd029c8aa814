/**
 * Brings a node of an imported model to the engine's opset-17 conventions.
 * - opset 13–16: ops kept their semantics up to 17 (new attributes default to the old
 *   behaviour), so nodes pass unchanged, except multi-output BatchNormalization before 14.
 * - opset 18: Reduce{Mean,Max,Min,L1,L2,Prod,LogSum,LogSumExp,SumSquare} take axes as an input
 *   (→ attribute), Split may give num_outputs (→ split sizes), Pad takes an axes input (→ full
 *   pads), Resize gained antialias/axes/keep_aspect_ratio_policy (→ defaults or full-rank
 *   scales/sizes); ops new in 18 have no opset-17 form.
 * Conversions need the values they move into attributes to be build-time constants.
 */
import type { Attr, Node } from '../ir/graph.js';
import { tensor, toNumbers, type Shape, type TensorData } from '../ir/tensor.js';

export const MIN_OPSET = 13;
export const MAX_OPSET = 18;

export class ImportError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ImportError';
  }
}

/** What a conversion may ask of the importer. */
export interface ConvertContext {
  /** Build-time constant value of a (renamed) value, if known. */
  constValue(name: string): TensorData | undefined;
  /** Static shape of a (renamed) value. */
  shape(name: string): Shape;
  /** Adds a constant to the graph and returns its name. */
  constant(t: TensorData, prefix: string): string;
}

const REDUCE_AXES_ATTR = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceProd', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
const NEW_IN_18 = new Set(['BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'CenterCropPad', 'Col2Im', 'GroupNormalization', 'Mish', 'OptionalHasElement', 'OptionalGetElement']);

export const describe = (n: Node): string => `${n.op} node '${n.name}'`;

function needConst(ctx: ConvertContext, n: Node, i: number, what: string): TensorData {
  const name = n.inputs[i]!;
  const v = ctx.constValue(name);
  if (v === undefined) throw new ImportError(`${describe(n)}: ${what} (input ${i} '${name}') must be a constant to convert this opset-18 node to opset 17`);
  return v;
}

function without(attrs: Readonly<Record<string, Attr>>, ...names: string[]): Record<string, Attr> {
  const a = { ...attrs };
  for (const k of names) delete a[k];
  return a;
}

/** Converts one node (its inputs already renamed) from `opset` to opset-17 form. */
export function toOpset17(n: Node, opset: number, ctx: ConvertContext): Node {
  if (opset < 14 && n.op === 'BatchNormalization' && n.outputs.slice(1).some((o) => o !== '')) {
    throw new ImportError(`${describe(n)}: training-mode BatchNormalization with ${n.outputs.length} outputs (opset ${opset}) has no opset-17 equivalent; re-export the model with opset_version=17`);
  }
  if (opset < 18) return n;
  if (NEW_IN_18.has(n.op)) throw new ImportError(`${describe(n)}: ${n.op} is an opset-18 op with no opset-17 form, which the engine targets`);
  if (REDUCE_AXES_ATTR.has(n.op)) {
    // opset 13 form: axes attribute, no noop_with_empty_axes (empty axes = reduce all)
    const axes = n.inputs.length > 1 && n.inputs[1] !== '' ? toNumbers(needConst(ctx, n, 1, 'axes')) : [];
    const noop = n.attrs['noop_with_empty_axes'];
    if (axes.length === 0 && noop?.kind === 'int' && noop.value === 1) return { ...n, op: 'Identity', inputs: [n.inputs[0]!], attrs: {} };
    const attrs = without(n.attrs, 'noop_with_empty_axes');
    if (axes.length > 0) attrs['axes'] = { kind: 'ints', value: axes };
    return { ...n, inputs: [n.inputs[0]!], attrs };
  }
  if (n.op === 'Split' && n.attrs['num_outputs'] !== undefined) {
    const a = n.attrs['num_outputs']!;
    const parts = a.kind === 'int' ? a.value : NaN;
    if (!(parts >= 1)) throw new ImportError(`${describe(n)}: num_outputs must be a positive int`);
    const shape = ctx.shape(n.inputs[0]!);
    const ax = n.attrs['axis']?.kind === 'int' ? (n.attrs['axis'].value as number) : 0;
    const axis = ax < 0 ? ax + shape.length : ax;
    const dim = shape[axis];
    if (dim === undefined) throw new ImportError(`${describe(n)}: axis ${ax} is out of range for rank ${shape.length}`);
    // opset 18: chunks of ceil(dim / n); the last one is smaller when dim is not divisible
    const chunk = Math.ceil(dim / parts);
    const sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    if (sizes.some((s) => s === 0)) throw new ImportError(`${describe(n)}: cannot split a dimension of ${dim} into ${parts} non-empty parts`);
    const split = ctx.constant(tensor('int64', [parts], sizes), `${n.name || 'split'}_sizes`);
    return { ...n, inputs: [n.inputs[0]!, split], attrs: without(n.attrs, 'num_outputs') };
  }
  if (n.op === 'Pad' && n.inputs.length > 3 && n.inputs[3] !== '') {
    const rank = ctx.shape(n.inputs[0]!).length;
    const axes = toNumbers(needConst(ctx, n, 3, 'axes')).map((a) => (a < 0 ? a + rank : a));
    const pads = toNumbers(needConst(ctx, n, 1, 'pads'));
    if (pads.length !== 2 * axes.length) throw new ImportError(`${describe(n)}: pads has ${pads.length} values for ${axes.length} axes`);
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i]!;
      full[a + rank] = pads[i + axes.length]!;
    });
    const p = ctx.constant(tensor('int64', [2 * rank], full), `${n.name || 'pad'}_pads`);
    return { ...n, inputs: [n.inputs[0]!, p, n.inputs[2] ?? ''] };
  }
  if (n.op === 'Resize') return resize18(n, ctx);
  if ((n.op === 'ScatterElements' || n.op === 'ScatterND') && n.attrs['reduction']?.kind === 'string' && ['max', 'min'].includes(n.attrs['reduction'].value)) {
    throw new ImportError(`${describe(n)}: reduction '${n.attrs['reduction'].value}' is opset 18 only`);
  }
  return n;
}

function resize18(n: Node, ctx: ConvertContext): Node {
  const aa = n.attrs['antialias'];
  if (aa !== undefined && aa.kind === 'int' && aa.value !== 0) throw new ImportError(`${describe(n)}: antialias=1 (opset 18) has no opset-17 form`);
  const axesA = n.attrs['axes'];
  const policy = n.attrs['keep_aspect_ratio_policy'];
  const hasSizes = n.inputs.length > 3 && n.inputs[3] !== '';
  if (policy !== undefined && policy.kind === 'string' && policy.value !== 'stretch' && hasSizes) {
    throw new ImportError(`${describe(n)}: keep_aspect_ratio_policy '${policy.value}' (opset 18) has no opset-17 form`);
  }
  const attrs = without(n.attrs, 'antialias', 'axes', 'keep_aspect_ratio_policy');
  if (axesA === undefined) return { ...n, attrs };
  if (axesA.kind !== 'ints') throw new ImportError(`${describe(n)}: attribute axes must be ints`);
  const shape = ctx.shape(n.inputs[0]!);
  const rank = shape.length;
  const axes = axesA.value.map((a) => (a < 0 ? a + rank : a));
  const inputs = [...n.inputs];
  while (inputs.length < 4) inputs.push('');
  if (inputs[1] !== '') throw new ImportError(`${describe(n)}: roi together with the axes attribute is not supported`);
  if (inputs[2] !== '') {
    const s = Array.from(needConst(ctx, n, 2, 'scales').data as Float32Array, Number);
    const full = new Array<number>(rank).fill(1);
    axes.forEach((a, i) => { full[a] = s[i]!; });
    inputs[2] = ctx.constant(tensor('float32', [rank], full), `${n.name || 'resize'}_scales`);
  }
  if (inputs[3] !== '') {
    const s = toNumbers(needConst(ctx, n, 3, 'sizes'));
    const full = [...shape];
    axes.forEach((a, i) => { full[a] = s[i]!; });
    inputs[3] = ctx.constant(tensor('int64', [rank], full), `${n.name || 'resize'}_sizes`);
  }
  return { ...n, inputs, attrs };
}
