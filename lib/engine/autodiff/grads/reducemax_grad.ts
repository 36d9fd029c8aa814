/**
 * ReduceMax: the gradient goes to the maximal elements; ties share it evenly, as PyTorch's amax
 * does: m = (X == Y_kept), dX = m · dY_kept / Σ_axes m.
 */
import { registerGrad } from '../registry.js';
import { keptGrad, reduceInfo, reshapeTo } from '../ew-grad-util.js';
import { ONNX_DTYPE } from '../../ir/tensor.js';

registerGrad('ReduceMax', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const info = reduceInfo(g, node);
  const yKept = reshapeTo(g, node.outputs[0]!, info.kept);
  const mask = g.op1('Cast', [g.op1('Equal', [x, yKept])], { to: ONNX_DTYPE[g.dtype(x)] });
  const count = g.op1('ReduceSum', [mask, g.constI64(info.axes)], { keepdims: 1 });
  return [g.op1('Mul', [mask, g.op1('Div', [keptGrad(g, dy[0]!, info), count])])];
});
