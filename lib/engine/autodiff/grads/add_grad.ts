/** Add: dA = unbroadcast(dY), dB = unbroadcast(dY). */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';

registerGrad('Add', ({ g, node, dy, wants }) => {
  const d = dy[0]!;
  return node.inputs.map((inp, i) => (wants[i] ? unbroadcast(g, d, g.shape(inp)) : undefined));
});
