/** Reshape: dX = Reshape(dY, shape(X)); the shape input has no gradient. */
import { registerGrad } from '../registry.js';
import { reshapeTo } from '../ew-grad-util.js';

registerGrad('Reshape', ({ g, node, dy }) => [reshapeTo(g, dy[0]!, g.shape(node.inputs[0]!)), undefined]);
