/**
 * Gradient paths the single-node PyTorch fixtures cannot reach: float32↔float64 Cast chains
 * (the fixture loss is float32) and Gather with runtime (non-constant) indices. References are
 * written out by hand: d/dx Σ G·f(x) for a linear f, and a plain scatter-add loop.
 */
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

describe('gradients through Cast chains and runtime Gather indices', () => {
  it('Cast float32 → float64 → float32: dL/dx = 3·G for L = Σ G·Cast(3·Cast(x))', async () => {
    const g = new GraphBuilder('cast_chain');
    const x = g.input('x', 'float32', [2, 3]);
    const x64 = g.op1('Cast', [x], { to: 11 });
    const y64 = g.op1('Mul', [x64, g.constant(tensor('float64', [], [3]))]);
    const y = g.op1('Cast', [y64], { to: 1 });
    const G = [0.5, -1, 2, 0.25, 3, -0.75];
    const loss = g.op1('ReduceSum', [g.op1('Mul', [y, g.constF32(G, [2, 3])])], { keepdims: 0 });
    const gx = backward(g, loss, [x]).get(x)!;
    assert.equal(g.dtype(gx), 'float32');
    g.output(gx);
    const res = await runGraph(g.graph, { x: tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]) });
    assert.deepEqual(Array.from(res[gx]!.data as Float32Array), G.map((v) => 3 * v));
  });

  it('Gather with indices fed at run time (negative and repeated) scatters-adds dY', async () => {
    const g = new GraphBuilder('gather_rt');
    const x = g.input('x', 'float32', [2, 4, 3]);
    const idx = g.input('idx', 'int64', [3]);
    const y = g.op1('Gather', [x, idx], { axis: 1 });
    const G = Array.from({ length: 2 * 3 * 3 }, (_, i) => ((i * 7) % 5) - 2);
    const loss = g.op1('ReduceSum', [g.op1('Mul', [y, g.constF32(G, [2, 3, 3])])], { keepdims: 0 });
    const gx = backward(g, loss, [x]).get(x)!;
    g.output(gx);
    const indices = [3, -1, 1];
    const res = await runGraph(g.graph, {
      x: tensor('float32', [2, 4, 3], new Array(24).fill(0.5)), idx: tensor('int64', [3], indices),
    });
    const want = new Array<number>(24).fill(0);
    for (let p = 0; p < 2; p++) for (let k = 0; k < 3; k++) for (let q = 0; q < 3; q++) {
      const row = indices[k]! < 0 ? indices[k]! + 4 : indices[k]!;
      want[(p * 4 + row) * 3 + q]! += G[(p * 3 + k) * 3 + q]!;
    }
    assert.deepEqual(Array.from(res[gx]!.data as Float32Array), want);
  });
});
