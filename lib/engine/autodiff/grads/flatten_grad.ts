/** Flatten: dX = Reshape(dY, shape(X)). */
import { registerGrad } from '../registry.js';
import { reshapeTo } from '../ew-grad-util.js';

registerGrad('Flatten', ({ g, node, dy }) => [reshapeTo(g, dy[0]!, g.shape(node.inputs[0]!))]);
