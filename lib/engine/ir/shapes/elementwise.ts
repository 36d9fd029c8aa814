/** Shape inference for element-wise ops: broadcasting binaries, unaries, comparisons, Where. */
import { registerShape, need, ShapeError, type InferContext } from '../shape-registry.js';
import { broadcastShapes } from './broadcast.js';

function broadcastOf(ctx: InferContext, idx: number[]): number[] {
  const shapes = idx.map((i) => need(ctx, i).shape);
  const out = broadcastShapes(shapes);
  if (out === undefined) throw new ShapeError(ctx.node, `shapes ${shapes.map((s) => `[${s.join(',')}]`).join(' and ')} do not broadcast`);
  return out;
}

registerShape(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mod', 'PRelu'], (ctx) => {
  const ids = ctx.inputs.map((_, i) => i);
  return [{ dtype: need(ctx, 0).dtype, shape: broadcastOf(ctx, ids) }];
});

registerShape(['Sum', 'Mean'], (ctx) => [{ dtype: need(ctx, 0).dtype, shape: broadcastOf(ctx, ctx.inputs.map((_, i) => i)) }]);

registerShape(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor'], (ctx) => [
  { dtype: 'bool', shape: broadcastOf(ctx, [0, 1]) },
]);

registerShape('Where', (ctx) => [{ dtype: need(ctx, 1).dtype, shape: broadcastOf(ctx, [0, 1, 2]) }]);

registerShape(
  ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Neg', 'Reciprocal', 'Abs', 'Sign', 'Floor', 'Ceil',
    'Round', 'Identity', 'Elu', 'Softplus', 'Erf', 'HardSigmoid', 'Sin', 'Cos', 'Clip', 'IsNaN', 'IsInf', 'Not'],
  (ctx) => {
    const x = need(ctx, 0);
    const op = ctx.node.op;
    const dtype = op === 'IsNaN' || op === 'IsInf' ? 'bool' : x.dtype;
    return [{ dtype, shape: x.shape }];
  },
);
