/**
 * Slice: dX scatters dY back into zeros of shape(X), using only Slice/Reshape/Pad:
 *  1. axes with negative steps: reverse dY on them (one Slice, step −1), so every step is |s|;
 *  2. axes with |s| > 1: insert s−1 zeros after every element (Reshape to […, n, 1, …], Pad the
 *     new axes by s−1, Reshape to […, n·s, …]; a Slice trims the tail only if it would overrun X);
 *  3. one Pad puts the block at its lowest index. Step 1 everywhere is a single Pad.
 * starts/ends/axes/steps must be constants (they are, for static shape inference).
 */
import { resolveSlice } from '../../ir/shapes/axes.js';
import { numel, toNumbers } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';
import { reshapeTo, zeros } from '../ew-grad-util.js';

registerGrad('Slice', ({ g, node, dy }) => {
  const x = node.inputs[0]!;
  const xs = g.shape(x);
  const ints = (i: number) => {
    const n = node.inputs[i];
    if (!n) return undefined;
    const t = g.constValue(n);
    if (t === undefined) throw new Error(`Slice '${node.name}': input ${i} is not a constant`);
    return toNumbers(t);
  };
  const sl = resolveSlice(xs, ints(1)!, ints(2)!, ints(3), ints(4));
  if (typeof sl === 'string') throw new Error(`Slice '${node.name}': ${sl}`);
  let cur = dy[0]!;
  if (numel(g.shape(cur)) === 0) return [zeros(g, xs, g.dtype(x))];
  const r = xs.length;
  // 1. reverse negative-step axes; afterwards axis a reads from lo[a] with stride |step|
  const lo = sl.map((s) => (s.step > 0 ? s.start : s.start + (s.count - 1) * s.step));
  const step = sl.map((s) => Math.abs(s.step));
  const neg = sl.flatMap((s, a) => (s.step < 0 && s.count > 1 ? [a] : []));
  if (neg.length > 0) {
    cur = g.op1('Slice', [cur, g.constI64(neg.map(() => -1)), g.constI64(neg.map((a) => -sl[a]!.count - 1)),
      g.constI64(neg), g.constI64(neg.map(() => -1))]);
  }
  // 2. interleave zeros on strided axes
  const len = sl.map((s) => s.count);
  const strided = sl.flatMap((s, a) => (step[a]! > 1 && s.count > 0 ? [a] : []));
  if (strided.length > 0) {
    const unsq: number[] = [];
    const padEnd: number[] = [];
    for (let a = 0; a < r; a++) {
      unsq.push(len[a]!);
      padEnd.push(0);
      if (strided.includes(a)) { unsq.push(1); padEnd.push(step[a]! - 1); }
    }
    cur = reshapeTo(g, cur, unsq);
    cur = g.op1('Pad', [cur, g.constI64([...padEnd.map(() => 0), ...padEnd])]);
    for (const a of strided) len[a] = len[a]! * step[a]!;
    cur = reshapeTo(g, cur, len);
    const over = strided.filter((a) => lo[a]! + len[a]! > xs[a]!);
    if (over.length > 0) {
      for (const a of over) len[a] = xs[a]! - lo[a]!;
      cur = g.op1('Slice', [cur, g.constI64(over.map(() => 0)), g.constI64(over.map((a) => len[a]!)), g.constI64(over)]);
    }
  }
  // 3. place the block
  const before = lo.map((v, a) => (sl[a]!.count === 0 ? 0 : v));
  const after = xs.map((d, a) => d - before[a]! - len[a]!);
  if (before.some((v) => v !== 0) || after.some((v) => v !== 0)) cur = g.op1('Pad', [cur, g.constI64([...before, ...after])]);
  return [cur, undefined, undefined, undefined, undefined];
});
