/** Reduces a broadcast gradient back to the shape of the operand it came from. */
import type { GraphBuilder } from '../ir/builder.js';
import { sameShape, type Shape } from '../ir/tensor.js';

export function unbroadcast(g: GraphBuilder, grad: string, to: Shape): string {
  const from = g.shape(grad);
  if (sameShape(from, to)) return grad;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
  }
  let r = grad;
  if (axes.length > 0) r = g.op1('ReduceSum', [grad, g.constI64(axes)], { keepdims: 1 });
  if (!sameShape(g.shape(r), to)) r = g.op1('Reshape', [r, g.constI64([...to])]);
  return r;
}
