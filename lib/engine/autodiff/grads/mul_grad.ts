/** Mul: dA = unbroadcast(dY·B), dB = unbroadcast(dY·A). */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';

registerGrad('Mul', ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  return [
    wants[0] ? unbroadcast(g, g.op1('Mul', [dy[0]!, b]), g.shape(a)) : undefined,
    wants[1] ? unbroadcast(g, g.op1('Mul', [dy[0]!, a]), g.shape(b)) : undefined,
  ];
});
