/** Sum (variadic): dX_i = unbroadcast(dY) for every input. */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';

registerGrad('Sum', ({ g, node, dy, wants }) => node.inputs.map((inp, i) => (wants[i] ? unbroadcast(g, dy[0]!, g.shape(inp)) : undefined)));
