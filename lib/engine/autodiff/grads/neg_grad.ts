/** Neg: dX = −dY. */
import { registerGrad } from '../registry.js';

registerGrad('Neg', ({ g, dy }) => [g.op1('Neg', [dy[0]!])]);
