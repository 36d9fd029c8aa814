/** Shape inference for element-wise ops: broadcasting binaries, unaries, comparisons, Where. */
import { registerShape, need, ShapeError, type InferContext } from '../shape-registry.js';
import { shapeStr } from '../tensor.js';
import { broadcastShapes } from './broadcast.js';

function broadcastOf(ctx: InferContext, idx: number[]): number[] {
  const shapes = idx.map((i) => need(ctx, i).shape);
  const out = broadcastShapes(shapes);
  if (out === undefined) throw new ShapeError(ctx.node, `shapes ${shapes.map((s) => shapeStr(s)).join(' and ')} do not broadcast`);
  return out;
}

/** ONNX requires one element type for these inputs; a mismatch would only fail later in onnxruntime. */
function sameDtype(ctx: InferContext, idx: number[]): void {
  const ds = idx.map((i) => need(ctx, i).dtype);
  if (ds.some((d) => d !== ds[0])) throw new ShapeError(ctx.node, `inputs have different element types (${ds.join(', ')})`);
}

registerShape(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Mod', 'PRelu', 'Sum', 'Mean'], (ctx) => {
  const ids = ctx.inputs.map((_, i) => i);
  sameDtype(ctx, ids);
  return [{ dtype: need(ctx, 0).dtype, shape: broadcastOf(ctx, ids) }];
});

// Pow: the exponent may have another numeric type than the base.
registerShape('Pow', (ctx) => [{ dtype: need(ctx, 0).dtype, shape: broadcastOf(ctx, [0, 1]) }]);

registerShape(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor'], (ctx) => {
  sameDtype(ctx, [0, 1]);
  return [{ dtype: 'bool', shape: broadcastOf(ctx, [0, 1]) }];
});

registerShape('Where', (ctx) => {
  if (need(ctx, 0).dtype !== 'bool') throw new ShapeError(ctx.node, `condition must be bool, not ${need(ctx, 0).dtype}`);
  sameDtype(ctx, [1, 2]);
  return [{ dtype: need(ctx, 1).dtype, shape: broadcastOf(ctx, [0, 1, 2]) }];
});

registerShape(
  ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Neg', 'Reciprocal', 'Abs', 'Sign', 'Floor', 'Ceil',
    'Round', 'Identity', 'Elu', 'Selu', 'Celu', 'ThresholdedRelu', 'Softplus', 'Softsign', 'Erf', 'HardSigmoid',
    'HardSwish', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Clip',
    'IsNaN', 'IsInf', 'Not'],
  (ctx) => {
    const x = need(ctx, 0);
    const op = ctx.node.op;
    const dtype = op === 'IsNaN' || op === 'IsInf' ? 'bool' : x.dtype;
    return [{ dtype, shape: x.shape }];
  },
);
