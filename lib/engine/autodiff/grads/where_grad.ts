/** Where(C, X, Y): dX = unbroadcast(Where(C, dOut, 0)), dY = unbroadcast(Where(C, 0, dOut)); C has none. */
import { registerGrad } from '../registry.js';
import { unbroadcast } from '../unbroadcast.js';
import { scalarLike } from '../ew-grad-util.js';

registerGrad('Where', ({ g, node, dy, wants }) => {
  const [c, x, y] = node.inputs as [string, string, string];
  const d = dy[0]!;
  const zero = scalarLike(g, d, 0);
  return [
    undefined,
    wants[1] ? unbroadcast(g, g.op1('Where', [c, d, zero]), g.shape(x)) : undefined,
    wants[2] ? unbroadcast(g, g.op1('Where', [c, zero, d]), g.shape(y)) : undefined,
  ];
});
