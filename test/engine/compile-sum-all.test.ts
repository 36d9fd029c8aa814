/** sumAll / sumSquaresAll: accurate float32 full reductions (two-stage for large tensors). */
import assert from 'node:assert/strict';
import { sumAll, sumSquaresAll } from '../../lib/engine/compile/index.js';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/index.js';

async function check(shape: number[], fill: (i: number) => number): Promise<{ sum: number; sq: number }> {
  const n = shape.reduce((a, b) => a * b, 1);
  const g = new GraphBuilder('sums');
  const x = g.input('x', 'float32', shape);
  const s = sumAll(g, x);
  const q = sumSquaresAll(g, x);
  g.output(s);
  g.output(q);
  const xv = new Float32Array(n);
  let e1 = 0;
  let e2 = 0;
  for (let i = 0; i < n; i++) {
    xv[i] = fill(i);
    e1 += xv[i]!;
    e2 += xv[i]! * xv[i]!;
  }
  const r = await runGraph(g.graph, { x: tensor('float32', shape, xv) }, undefined, { threads: 1 });
  return { sum: Math.abs((r[s]!.data[0] as number) - e1) / Math.abs(e1), sq: Math.abs((r[q]!.data[0] as number) - e2) / e2 };
}

describe('sumAll / sumSquaresAll', () => {
  it('stay at float32 rounding on 2^22 elements (one-stage ReduceSum drifts there)', async () => {
    const e = await check([1 << 22], () => 4e-6);
    assert.ok(e.sum < 1e-5 && e.sq < 1e-5, JSON.stringify(e));
    const v = await check([64, 256, 256], (i) => Math.sin(i) + 0.5);
    assert.ok(v.sum < 1e-5 && v.sq < 1e-5, JSON.stringify(v));
  });

  it('handle small, scalar and prime-length tensors', async () => {
    for (const shape of [[], [3, 4], [65537]]) {
      const e = await check(shape, (i) => 1 + i * 1e-3);
      assert.ok(e.sum < 1e-5 && e.sq < 1e-5, `${JSON.stringify(shape)}: ${JSON.stringify(e)}`);
    }
  });
});
