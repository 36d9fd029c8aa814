/**
 * foldConstant (lib/engine/ir/fold.ts) against onnxruntime: every case builds the same single
 * node, runs it on ORT (the independent reference) and compares dtype, shape and values exactly.
 */
import assert from 'node:assert/strict';
import { GraphBuilder, type Attrs } from '../../lib/engine/ir/builder.js';
import { foldConstant } from '../../lib/engine/ir/fold.js';
import { tensor, type DType, type TensorData } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

const t = (dtype: DType, shape: number[], values: number[]) => tensor(dtype, shape, values);
const nums = (x: TensorData) => Array.from(x.data as ArrayLike<number | bigint>, Number);

interface Case {
  op: string;
  inputs: (TensorData | null)[];
  attrs?: Attrs;
  outputs?: number;
  /** inputs given to ORT as fed graph inputs, and to foldConstant only as shapes (Shape/Size) */
  fed?: boolean;
}

async function check(c: Case): Promise<void> {
  const g = new GraphBuilder(`fold_${c.op}`);
  const feeds: Record<string, TensorData> = {};
  const names = c.inputs.map((v, i) => {
    if (v === null) return '';
    if (c.fed) {
      feeds[`x${i}`] = v;
      return g.input(`x${i}`, v.dtype, v.shape);
    }
    return g.initializer(`x${i}`, v);
  });
  const outs = g.op(c.op, names, c.attrs ?? {}, { outputs: c.outputs ?? 1 });
  outs.forEach((o) => g.output(o));
  const node = g.graph.nodes[g.graph.nodes.length - 1]!;
  const folded = foldConstant(node, c.fed ? c.inputs.map(() => undefined) : c.inputs.map((v) => v ?? undefined),
    names.map((n) => (n === '' ? undefined : g.info(n))));
  assert.ok(folded !== undefined, `${c.op} was not folded`);
  const ref = await runGraph(g.graph, feeds);
  outs.forEach((o, k) => {
    const want = ref[o]!;
    const got = folded[k]!;
    assert.equal(got.dtype, want.dtype, `${c.op} output ${k} dtype`);
    assert.deepEqual([...got.shape], [...want.shape], `${c.op} output ${k} shape`);
    assert.deepEqual(nums(got), nums(want), `${c.op} output ${k} values`);
  });
}

const I64 = (v: number[], shape = [v.length]) => t('int64', shape, v);
const F32 = (v: number[], shape = [v.length]) => t('float32', shape, v);

const cases: [string, Case][] = [
  ['Shape (static shape only)', { op: 'Shape', inputs: [F32(new Array(120).fill(0), [2, 3, 4, 5])], fed: true }],
  ['Shape start/end', { op: 'Shape', inputs: [F32(new Array(120).fill(0), [2, 3, 4, 5])], attrs: { start: 1, end: -1 }, fed: true }],
  ['Shape clamped start', { op: 'Shape', inputs: [F32(new Array(6).fill(0), [2, 3])], attrs: { start: -9 }, fed: true }],
  ['Size', { op: 'Size', inputs: [F32(new Array(6).fill(0), [2, 3])], fed: true }],
  ['Gather scalar negative index', { op: 'Gather', inputs: [I64([2, 3, 4, 5]), I64([-2], [])] }],
  ['Gather axis 1, 2-D indices', { op: 'Gather', inputs: [F32([1, 2, 3, 4, 5, 6], [2, 3]), I64([2, 0, -1, 1], [2, 2])], attrs: { axis: 1 } }],
  ['Unsqueeze', { op: 'Unsqueeze', inputs: [I64([7, 8]), I64([0, -1])] }],
  ['Squeeze axes', { op: 'Squeeze', inputs: [I64([7, 8], [1, 2, 1]), I64([-1])] }],
  ['Squeeze all', { op: 'Squeeze', inputs: [I64([7], [1, 1])] }],
  ['Concat int64', { op: 'Concat', inputs: [I64([1]), I64([2, 3]), I64([-1])], attrs: { axis: 0 } }],
  ['Concat float axis 1', { op: 'Concat', inputs: [F32([1, 2], [2, 1]), F32([3, 4, 5, 6], [2, 2])], attrs: { axis: -1 } }],
  ['Cast float→int64 (truncates)', { op: 'Cast', inputs: [F32([-2.7, 2.7, -0.5, 3])], attrs: { to: 7 } }],
  ['Cast int64→float', { op: 'Cast', inputs: [I64([-3, 0, 16777217])], attrs: { to: 1 } }],
  ['Cast float→bool', { op: 'Cast', inputs: [F32([0, -0.5, 2])], attrs: { to: 9 } }],
  ['Cast int64→int32', { op: 'Cast', inputs: [I64([-3, 0, 5])], attrs: { to: 6 } }],
  ['Cast bool→float', { op: 'Cast', inputs: [t('bool', [3], [1, 0, 1])], attrs: { to: 1 } }],
  ['Slice clamped, negative start', { op: 'Slice', inputs: [I64([0, 1, 2, 3, 4, 5]), I64([-4]), I64([100])] }],
  ['Slice steps 2 on axis 1', { op: 'Slice', inputs: [F32([...Array(12).keys()], [3, 4]), I64([1]), I64([4]), I64([1]), I64([2])] }],
  ['Slice negative step', { op: 'Slice', inputs: [I64([0, 1, 2, 3, 4, 5]), I64([-1]), I64([-100]), null, I64([-2])] }],
  ['Slice negative step, start below', { op: 'Slice', inputs: [I64([0, 1, 2, 3, 4]), I64([-10]), I64([-100]), I64([0]), I64([-1])] }],
  ['Reshape 0/-1', { op: 'Reshape', inputs: [I64([...Array(12).keys()], [2, 3, 2]), I64([0, -1])] }],
  ['Add int64 broadcast', { op: 'Add', inputs: [I64([1, 2, 3, 4, 5, 6], [2, 3]), I64([10, 20, 30])] }],
  ['Sub int64', { op: 'Sub', inputs: [I64([1, 2, 3]), I64([5], [])] }],
  ['Mul int64', { op: 'Mul', inputs: [I64([-3, 2, 7]), I64([4, -5, 6])] }],
  ['Div int64 truncates', { op: 'Div', inputs: [I64([-7, 7, 9, -9]), I64([2, 2, -4, -4])] }],
  ['Div int32', { op: 'Div', inputs: [t('int32', [3], [-7, 7, 9]), t('int32', [1], [2])] }],
  ['Div float32 (rounding)', { op: 'Div', inputs: [F32([1, 2, 10]), F32([3, 7, 3])] }],
  ['Mul float32 broadcast', { op: 'Mul', inputs: [F32([0.1, 0.2, 0.3], [3, 1]), F32([0.7, 1.3])] }],
  ['ConstantOfShape int64 value', { op: 'ConstantOfShape', inputs: [I64([2, 3])], attrs: { value: I64([7], [1]) } }],
  ['ConstantOfShape default', { op: 'ConstantOfShape', inputs: [I64([3])] }],
  ['Constant value_ints', { op: 'Constant', inputs: [], attrs: { value_ints: [1, -2, 3] } }],
  ['Constant value_float', { op: 'Constant', inputs: [], attrs: { value_float: { kind: 'float', value: 0.25 } } }],
  ['Constant value tensor', { op: 'Constant', inputs: [], attrs: { value: F32([1.5, -2], [1, 2]) } }],
  ['Range int64', { op: 'Range', inputs: [I64([0], []), I64([10], []), I64([3], [])] }],
  ['Range negative delta', { op: 'Range', inputs: [I64([5], []), I64([-2], []), I64([-2], [])] }],
  ['Range float32', { op: 'Range', inputs: [F32([0], []), F32([1], []), F32([0.1], [])] }],
  ['Equal int64 broadcast', { op: 'Equal', inputs: [I64([1, 2, 3, 2], [2, 2]), I64([2])] }],
  ['Equal float', { op: 'Equal', inputs: [F32([0.5, -1, 0]), F32([0.5, 1, -0])] }],
  ['Where int64 broadcast', { op: 'Where', inputs: [t('bool', [2, 1], [1, 0]), I64([1, 2, 3]), I64([-1], [])] }],
  ['Identity', { op: 'Identity', inputs: [I64([4, 5])] }],
  ['Floor', { op: 'Floor', inputs: [F32([-1.5, 1.5, 2, -0.2])] }],
  ['Ceil', { op: 'Ceil', inputs: [F32([-1.5, 1.5, 2, -0.2])] }],
  ['Sqrt', { op: 'Sqrt', inputs: [F32([2, 9, 0.5, 1e-3])] }],
];

describe('foldConstant agrees with onnxruntime on the same node', () => {
  for (const [name, c] of cases) it(name, () => check(c));

  it('returns undefined when an input is not constant, the op is unknown, or an int division by zero', () => {
    const g = new GraphBuilder('nofold');
    const x = g.input('x', 'int64', [2]);
    const c = g.constI64([1, 0]);
    const add = g.op1('Add', [x, c]);
    const addNode = g.graph.nodes[0]!;
    assert.equal(foldConstant(addNode, [undefined, g.constValue(c)], [g.info(x), g.info(c)]), undefined);
    g.op1('Div', [c, c]);
    const divNode = g.graph.nodes[1]!;
    assert.equal(foldConstant(divNode, [g.constValue(c), g.constValue(c)]), undefined);
    const floorNode = { op: 'Atan', name: 'n', inputs: ['a'], outputs: ['b'], attrs: {} };
    assert.equal(foldConstant(floorNode, [tensor('float32', [1], [1])]), undefined);
    assert.ok(add);
  });

  it('respects maxElements', () => {
    const node = { op: 'ConstantOfShape', name: 'n', inputs: ['s'], outputs: ['y'], attrs: {} };
    const shape = tensor('int64', [2], [100, 100]);
    assert.equal(foldConstant(node, [shape], [], { maxElements: 1000 }), undefined);
    assert.equal(foldConstant(node, [shape])?.[0]?.data.length, 10000);
  });
});
