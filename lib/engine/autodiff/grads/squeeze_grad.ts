/** Squeeze: dX = Reshape(dY, shape(X)); the axes input has no gradient. */
import { registerGrad } from '../registry.js';
import { reshapeTo } from '../ew-grad-util.js';

registerGrad('Squeeze', ({ g, node, dy }) => [reshapeTo(g, dy[0]!, g.shape(node.inputs[0]!)), undefined]);
