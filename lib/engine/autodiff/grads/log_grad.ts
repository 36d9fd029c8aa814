/** Log: Y = ln X; dX = dY / X. */
import { registerGrad } from '../registry.js';

registerGrad('Log', ({ g, node, dy }) => [g.op1('Div', [dy[0]!, node.inputs[0]!])]);
