/**
 * Static shape inference of the element-wise, reduction, tensor-shape and indexing ops
 * (lib/engine/ir/shapes/{elementwise,reduce,tensor-ops,misc}.ts) against the shapes and dtypes
 * onnxruntime actually produces for the same node.
 */
import assert from 'node:assert/strict';
import { GraphBuilder, type Attrs } from '../../lib/engine/ir/builder.js';
import { tensor, type DType, type TensorData } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

type In = { fed: TensorData } | { konst: TensorData } | null;
const fed = (dtype: DType, shape: number[]): In => ({ fed: tensor(dtype, shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(1)) });
const konst = (dtype: DType, shape: number[], v: number[]): In => ({ konst: tensor(dtype, shape, v) });
const ints = (...v: number[]): In => konst('int64', [v.length], v);
const scalarI = (v: number): In => konst('int64', [], [v]);

interface Case { op: string; inputs: In[]; attrs?: Attrs; outputs?: number }

const cases: [string, Case][] = [
  ['Add broadcast', { op: 'Add', inputs: [fed('float32', [2, 1, 4]), fed('float32', [3, 1])] }],
  ['Pow int exponent', { op: 'Pow', inputs: [fed('float32', [2, 3]), konst('int64', [], [2])] }],
  ['Max variadic', { op: 'Max', inputs: [fed('float32', [3, 1]), fed('float32', [4]), fed('float32', [1, 1, 1])] }],
  ['Where', { op: 'Where', inputs: [fed('bool', [2, 1]), fed('float32', [3]), fed('float32', [1, 1, 1])] }],
  ['Greater', { op: 'Greater', inputs: [fed('int64', [2, 3]), fed('int64', [3])] }],
  ['Clip', { op: 'Clip', inputs: [fed('float32', [2, 3]), null, konst('float32', [], [1])] }],
  ['ReduceMean keepdims 0', { op: 'ReduceMean', inputs: [fed('float32', [2, 3, 4])], attrs: { axes: [0, -1], keepdims: 0 } }],
  ['ReduceMax all', { op: 'ReduceMax', inputs: [fed('float32', [2, 3])], attrs: { keepdims: 1 } }],
  ['ReduceSum axes input', { op: 'ReduceSum', inputs: [fed('float32', [2, 3, 4]), ints(1)], attrs: { keepdims: 0 } }],
  ['ArgMax', { op: 'ArgMax', inputs: [fed('float32', [2, 3, 4])], attrs: { axis: -1, keepdims: 0 } }],
  ['Reshape', { op: 'Reshape', inputs: [fed('float32', [2, 3, 4]), ints(0, -1)] }],
  ['Expand', { op: 'Expand', inputs: [fed('float32', [3, 1]), ints(2, 1, 5)] }],
  ['Concat', { op: 'Concat', inputs: [fed('float32', [2, 1, 3]), fed('float32', [2, 4, 3])], attrs: { axis: -2 } }],
  ['Split sizes', { op: 'Split', inputs: [fed('float32', [2, 7]), ints(2, 5)], attrs: { axis: 1 }, outputs: 2 }],
  ['Split equal', { op: 'Split', inputs: [fed('float32', [6, 2])], outputs: 3 }],
  ['Slice clamped', { op: 'Slice', inputs: [fed('float32', [5, 6]), ints(-3, 1), ints(100, -1)] }],
  ['Slice steps', { op: 'Slice', inputs: [fed('float32', [5, 7, 2]), ints(1, 6), ints(5, -100), ints(0, 1), ints(2, -3)] }],
  ['Slice negative step start below', { op: 'Slice', inputs: [fed('float32', [5]), ints(-10), ints(-100), ints(0), ints(-1)] }],
  ['Slice empty', { op: 'Slice', inputs: [fed('float32', [4, 3]), ints(3), ints(1)] }],
  ['Flatten axis 0', { op: 'Flatten', inputs: [fed('float32', [2, 3])], attrs: { axis: 0 } }],
  ['Flatten axis -1', { op: 'Flatten', inputs: [fed('float32', [2, 3, 4])], attrs: { axis: -1 } }],
  ['Transpose', { op: 'Transpose', inputs: [fed('float32', [2, 3, 4])], attrs: { perm: [1, 2, 0] } }],
  ['Transpose default', { op: 'Transpose', inputs: [fed('float32', [2, 3, 4])] }],
  ['Squeeze', { op: 'Squeeze', inputs: [fed('float32', [1, 3, 1]), ints(-1)] }],
  ['Squeeze all', { op: 'Squeeze', inputs: [fed('float32', [1, 3, 1])] }],
  ['Unsqueeze', { op: 'Unsqueeze', inputs: [fed('float32', [2, 3]), ints(-1, 1)] }],
  ['Tile', { op: 'Tile', inputs: [fed('float32', [2, 3]), ints(3, 1)] }],
  ['Gather', { op: 'Gather', inputs: [fed('float32', [2, 5, 3]), konst('int64', [2, 2], [0, 1, 2, -1])], attrs: { axis: 1 } }],
  ['Gather scalar', { op: 'Gather', inputs: [fed('float32', [4, 3]), scalarI(1)] }],
  ['GatherElements', { op: 'GatherElements', inputs: [fed('float32', [3, 4]), konst('int64', [3, 2], [0, 1, 2, 3, 0, 0])], attrs: { axis: 1 } }],
  ['ScatterND', { op: 'ScatterND', inputs: [fed('float32', [4, 3]), konst('int64', [2, 1], [0, 2]), fed('float32', [2, 3])] }],
  ['Shape', { op: 'Shape', inputs: [fed('float32', [2, 3, 4])] }],
  ['Shape start/end', { op: 'Shape', inputs: [fed('float32', [2, 3, 4])], attrs: { start: -2, end: 10 } }],
  ['Size', { op: 'Size', inputs: [fed('float32', [2, 3, 4])] }],
  ['Cast', { op: 'Cast', inputs: [fed('float32', [2, 3])], attrs: { to: 7 } }],
  ['ConstantOfShape', { op: 'ConstantOfShape', inputs: [ints(2, 3)], attrs: { value: tensor('int64', [1], [5]) } }],
  ['Constant', { op: 'Constant', inputs: [], attrs: { value_floats: { kind: 'floats', value: [1, 2, 3] } } }],
  ['Range', { op: 'Range', inputs: [scalarI(1), scalarI(10), scalarI(4)] }],
  ['Range float', { op: 'Range', inputs: [konst('float32', [], [0]), konst('float32', [], [1]), konst('float32', [], [0.3])] }],
  ['OneHot', { op: 'OneHot', inputs: [fed('int64', [2, 3]), konst('int64', [], [4]), konst('float32', [2], [0, 1])], attrs: { axis: 1 } }],
  ['CumSum', { op: 'CumSum', inputs: [fed('float32', [2, 3]), scalarI(1)] }],
  ['TopK', { op: 'TopK', inputs: [fed('float32', [2, 5]), ints(3)], outputs: 2 }],
];

describe('shape inference agrees with onnxruntime (element-wise, reduce, tensor and indexing ops)', () => {
  for (const [name, c] of cases) {
    it(name, async () => {
      const g = new GraphBuilder('shape_check');
      const feeds: Record<string, TensorData> = {};
      const names = c.inputs.map((inp, i) => {
        if (inp === null) return '';
        if ('fed' in inp) {
          feeds[`x${i}`] = inp.fed;
          return g.input(`x${i}`, inp.fed.dtype, inp.fed.shape);
        }
        return g.initializer(`x${i}`, inp.konst);
      });
      const outs = g.op(c.op, names, c.attrs ?? {}, { outputs: c.outputs ?? 1 });
      outs.forEach((o) => g.output(o));
      const res = await runGraph(g.graph, feeds);
      for (const o of outs) {
        assert.deepEqual(g.shape(o), [...res[o]!.shape], `shape of ${o}`);
        assert.equal(g.dtype(o), res[o]!.dtype, `dtype of ${o}`);
      }
    });
  }
});
