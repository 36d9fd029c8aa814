/** Expand (bidirectional broadcast): dX = unbroadcast(dY, shape(X)); the shape input has none. */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';

registerGrad('Expand', ({ g, node, dy }) => [unbroadcast(g, dy[0]!, g.shape(node.inputs[0]!)), undefined]);
