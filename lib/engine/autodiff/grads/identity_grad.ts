/** Identity: dX = dY. */
import { registerGrad } from '../registry.js';

registerGrad('Identity', ({ dy }) => [dy[0]]);
