/** Div: Y = A / B; dA = unbroadcast(dY / B), dB = unbroadcast(−dY·Y / B). */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';

registerGrad('Div', ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  return [
    wants[0] ? unbroadcast(g, g.op1('Div', [dy[0]!, b]), g.shape(a)) : undefined,
    wants[1] ? unbroadcast(g, g.op1('Neg', [g.op1('Div', [g.op1('Mul', [dy[0]!, y]), b])]), g.shape(b)) : undefined,
  ];
});
