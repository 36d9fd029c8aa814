/** Abs: dX = dY · sign(X) (zero at X = 0, as in PyTorch). */
import { registerGrad } from '../registry.js';

registerGrad('Abs', ({ g, node, dy }) => [g.op1('Mul', [dy[0]!, g.op1('Sign', [node.inputs[0]!])])]);
