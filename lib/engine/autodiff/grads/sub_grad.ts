/** Sub: Y = A − B; dA = unbroadcast(dY), dB = unbroadcast(−dY). */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';

registerGrad('Sub', ({ g, node, dy, wants }) => {
  const [a, b] = node.inputs as [string, string];
  return [
    wants[0] ? unbroadcast(g, dy[0]!, g.shape(a)) : undefined,
    wants[1] ? unbroadcast(g, g.op1('Neg', [dy[0]!]), g.shape(b)) : undefined,
  ];
});
