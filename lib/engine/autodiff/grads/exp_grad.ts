/** Exp: Y = eˣ; dX = dY · Y. */
import { registerGrad } from '../registry.js';

registerGrad('Exp', ({ g, node, dy }) => [g.op1('Mul', [dy[0]!, node.outputs[0]!])]);
