import assert from 'node:assert/strict';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { f32 } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

describe('engine smoke: build, differentiate, run on onnxruntime', () => {
  it('computes d/dA sum(A + B) with broadcasting', async () => {
    const g = new GraphBuilder('smoke');
    const a = g.input('A', 'float32', [2, 3]);
    const b = g.input('B', 'float32', [3]);
    const y = g.op1('Add', [a, b]);
    const loss = g.op1('ReduceSum', [y, g.constI64([0, 1])], { keepdims: 0 });
    const grads = backward(g, loss, [a, b]);
    g.output(loss);
    g.output(grads.get(a)!);
    g.output(grads.get(b)!);
    const out = await runGraph(g.graph, { A: f32([2, 3], [1, 2, 3, 4, 5, 6]), B: f32([3], [10, 20, 30]) });
    assert.equal(out[loss]!.data[0], 21 + 120);
    assert.deepEqual(Array.from(out[grads.get(a)!]!.data as Float32Array), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(out[grads.get(b)!]!.data as Float32Array), [2, 2, 2]);
  });
});
