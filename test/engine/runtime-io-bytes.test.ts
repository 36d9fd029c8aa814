/**
 * The runner's count of the bytes each run hands to onnxruntime and fetches back (io-bytes.ts):
 * with a GPU provider these cross host ⇄ device on every step (docs/gpu.md). Checked on the CPU
 * against the bytes computed from the compiled signature: data feeds + learning rate + every state
 * tensor in, loss + finite flag + every next-state tensor (+ requested outputs) out.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { compileEval, compileTrainStep, type CompiledGraph } from '../../lib/engine/compile/index.js';
import type { Graph } from '../../lib/engine/ir/graph.js';
import { f32, numel, type DType } from '../../lib/engine/ir/tensor.js';
import { IoCounter, mapBytes, tensorBytes, TrainStepRunner } from '../../lib/engine/runtime/index.js';
import { buildQuadModel, loadOptimFixtures } from './optim-model.js';

const SIZE: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

function outputBytes(graph: Graph, name: string): number {
  const v = graph.outputs.find((o) => o.name === name);
  assert.ok(v, `graph output ${name}`);
  return SIZE[v.dtype] * numel(v.shape);
}

function expected(c: CompiledGraph, dataBytes: number): { bytesIn: number; bytesOut: number } {
  const sig = c.signature;
  let state = 0;
  let next = 0;
  for (const s of sig.state) {
    state += SIZE[s.dtype] * numel(s.shape);
    if (s.next !== undefined) next += SIZE[s.dtype] * numel(s.shape);
  }
  const fetched = new Set([sig.loss, sig.finite, sig.gradNorm, ...Object.values(sig.outputs)].filter((n): n is string => n !== undefined));
  let out = next;
  for (const n of fetched) out += outputBytes(c.graph, n);
  return { bytesIn: dataBytes + (sig.lr !== undefined ? 4 : 0) + state, bytesOut: out };
}

describe('runtime: host ⇄ runtime bytes per run', function () {
  this.timeout(60000);
  const fx = loadOptimFixtures().find((f) => f.optimizer.kind === 'sgd') ?? loadOptimFixtures()[0]!;

  for (const inThread of [true, false]) {
    it(`${inThread ? 'in-thread' : 'worker'} runner: each step's io equals feeds + lr + state in, loss + flag + next state out; totals add up`, async () => {
      const { g, loss } = buildQuadModel(fx);
      const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b', 'u'] }], optimizer: { kind: 'sgd', momentum: 0.9 }, extras: [loss] });
      const runner = await TrainStepRunner.start({ threads: 1, inThread });
      try {
        await runner.addProgram('step', step, { initState: true });
        assert.deepEqual(runner.ioStats(), { runs: 0, bytesIn: 0, bytesOut: 0, last: { bytesIn: 0, bytesOut: 0 } });
        const want = expected(step, 3 * 4 * 4);
        assert.ok(want.bytesIn > 100 && want.bytesOut > 100, JSON.stringify(want));
        const r1 = await runner.trainStep('step', { x: f32([3, 4], new Array(12).fill(0.5)) }, { lr: 0.01 });
        assert.deepEqual(r1.io, want);
        const r2 = await runner.trainStep('step', { x: f32([3, 4], new Array(12).fill(0.25)) }, { lr: 0.01 });
        assert.deepEqual(r2.io, want);
        const s = runner.ioStats();
        assert.equal(s.runs, 2);
        assert.equal(s.bytesIn, 2 * want.bytesIn);
        assert.equal(s.bytesOut, 2 * want.bytesOut);
        assert.deepEqual(s.last, want);

        // an eval program reading the same state: data + state in, its outputs out, no lr
        const ev = compileEval(buildQuadModel(fx, 'quad_eval').g, { params: ['w', 'b', 'u'], outputs: [loss] });
        await runner.addProgram('eval', ev);
        await runner.run('eval', { x: f32([3, 4], new Array(12).fill(1)) });
        const ewant = expected(ev, 48);
        assert.deepEqual(runner.ioStats().last, ewant);
        assert.equal(runner.ioStats().runs, 3);
        runner.resetIoStats();
        assert.deepEqual(runner.ioStats(), { runs: 0, bytesIn: 0, bytesOut: 0, last: { bytesIn: 0, bytesOut: 0 } });
      } finally {
        await runner.close();
      }
    });
  }

  it('tensorBytes: host tensors by their byte length, device-resident tensors (gpu-buffer, ml-tensor) as 0', () => {
    assert.equal(tensorBytes(new ort.Tensor('float32', new Float32Array(6), [2, 3])), 24);
    assert.equal(tensorBytes(new ort.Tensor('int64', new BigInt64Array(5), [5])), 40);
    assert.equal(tensorBytes(f32([4], [1, 2, 3, 4])), 16);
    assert.equal(tensorBytes({ location: 'gpu-buffer', dims: [1024] }), 0);
    assert.equal(tensorBytes({ location: 'ml-tensor', dims: [1024] }), 0);
    assert.equal(mapBytes({ a: f32([2], [1, 2]), b: { location: 'gpu-buffer', dims: [8] }, c: new ort.Tensor('uint8', new Uint8Array(3), [3]) }), 11);
    const c = new IoCounter();
    c.add({ bytesIn: 10, bytesOut: 3 });
    c.add({ bytesIn: 5, bytesOut: 1 });
    assert.deepEqual(c.stats(), { runs: 2, bytesIn: 15, bytesOut: 4, last: { bytesIn: 5, bytesOut: 1 } });
    assert.throws(() => c.add({ bytesIn: -1, bytesOut: 0 }), /bad byte counts/);
  });
});
