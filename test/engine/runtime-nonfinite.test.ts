/** Non-finite steps: 'stop' names the step, 'skip' counts it; parameters stay unchanged either way. */
import assert from 'node:assert/strict';
import { compileTrainStep, nextName } from '../../lib/engine/compile/index.js';
import { f32, type TensorData } from '../../lib/engine/ir/tensor.js';
import { NonFiniteStepError, runGraph, TrainStepRunner } from '../../lib/engine/runtime/index.js';
import { buildQuadModel, loadOptimFixtures } from './optim-model.js';

const fx = loadOptimFixtures()[0]!;
const x = (v: number) => ({ x: f32([3, 4], new Array(12).fill(v)) });
const snapshot = (m: Map<string, TensorData>) => new Map([...m].map(([k, v]) => [k, Array.from(v.data as Float32Array)]));

async function setup(nonFinite: 'stop' | 'skip') {
  const { g, loss } = buildQuadModel(fx);
  const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b', 'u'] }], optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 } });
  // the step graph has no in-graph guard (the default): keeping the state is the runtime's job
  assert.ok(!step.graph.nodes.some((n) => n.op === 'Where'), 'the default step graph has no NaN guard');
  const runner = await TrainStepRunner.start({ nonFinite, threads: 1 });
  await runner.addProgram('train', step, { initState: true });
  return runner;
}

describe('non-finite training steps', () => {
  it("the unguarded graph's outputs for a non-finite step are corrupt (so the tests below prove the runtime keeps the state)", async () => {
    const { g, loss } = buildQuadModel(fx);
    const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b', 'u'] }], optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 } });
    const feeds: Record<string, TensorData> = { ...x(NaN), [step.signature.lr!]: f32([], [0.01]) };
    for (const s of step.signature.state) feeds[s.name] = step.initialState.get(s.name)!;
    const r = await runGraph(step.graph, feeds);
    assert.equal(r[step.signature.finite!]!.data[0], 0);
    assert.ok(Array.from(r[nextName('w')]!.data as Float32Array).some(Number.isNaN));
  });

  it("mode 'stop': throws an error naming the step and leaves the state unchanged", async () => {
    const runner = await setup('stop');
    try {
      await runner.trainStep('train', x(0.3), { lr: 0.01 });
      await runner.trainStep('train', x(0.2), { lr: 0.01 });
      const before = snapshot(await runner.getState());
      assert.equal(before.get('optim/step')![0], 2);
      await assert.rejects(runner.trainStep('train', x(NaN), { lr: 0.01 }), (e: Error) => e instanceof NonFiniteStepError && /training step 2 /.test(e.message) && e.step === 2);
      await assert.rejects(runner.trainStep('train', x(Infinity), { lr: 0.01, step: 1041 }), /training step 1041 .*not finite/);
      assert.deepEqual(snapshot(await runner.getState()), before);
    } finally {
      await runner.close();
    }
  });

  it("mode 'skip': skips and counts non-finite steps, parameters unchanged, training continues", async () => {
    const runner = await setup('skip');
    try {
      const r0 = await runner.trainStep('train', x(0.3), { lr: 0.01 });
      assert.equal(r0.skipped, false);
      const before = snapshot(await runner.getState());
      const r1 = await runner.trainStep('train', x(NaN), { lr: 0.01 });
      assert.deepEqual([r1.finite, r1.skipped, r1.step], [false, true, 1]);
      const r2 = await runner.trainStep('train', x(-Infinity), { lr: 0.01 });
      assert.equal(r2.skipped, true);
      assert.equal(runner.skippedSteps, 2);
      assert.deepEqual(snapshot(await runner.getState()), before);
      const r3 = await runner.trainStep('train', x(0.3), { lr: 0.01 });
      assert.equal(r3.finite, true);
      const after = snapshot(await runner.getState());
      assert.equal(after.get('optim/step')![0], 2, 'skipped steps do not advance the optimiser step');
      assert.notDeepEqual(after.get('w'), before.get('w'));
      assert.equal(runner.stepsRun, 4);
    } finally {
      await runner.close();
    }
  });
});
