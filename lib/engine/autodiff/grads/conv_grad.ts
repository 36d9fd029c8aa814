/**
 * Conv (2-D NCHW, group 1 or depthwise): dX, dW and dB; only the pieces `wants` asks for
 * (the first layer, whose input is the image, gets no dX). Formulations in conv-util.ts.
 * dB = ReduceSum(dY, [0, 2, 3]).
 */
import { registerGrad } from '../registry.js';
import { conv2d, convInputGrad, convWeightGrad } from './conv-util.js';

registerGrad('Conv', ({ g, node, dy, wants }) => {
  const [x, w, b] = node.inputs as [string, string, string | undefined];
  const d = dy[0]!;
  const p = conv2d(g, node);
  return [
    wants[0] ? convInputGrad(g, p, d, w) : undefined,
    wants[1] ? convWeightGrad(g, p, x, d) : undefined,
    b && wants[2] ? g.op1('ReduceSum', [d, g.constI64([0, 2, 3])], { keepdims: 0 }) : undefined,
  ];
});
