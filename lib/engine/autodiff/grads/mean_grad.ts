/** Mean (variadic, N inputs): dX_i = unbroadcast(dY / N). */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Mean', ({ g, node, dy, wants }) => {
  const share = g.op1('Div', [dy[0]!, scalarLike(g, dy[0]!, node.inputs.length)]);
  return node.inputs.map((inp, i) => (wants[i] ? unbroadcast(g, share, g.shape(inp)) : undefined));
});
