/** Execution providers: a provider that cannot start is a clear error, or an explicit logged fallback. */
import assert from 'node:assert/strict';
import { chooseProvider, ProviderUnavailableError, TrainStepRunner } from '../../lib/engine/runtime/index.js';
import { compileEval } from '../../lib/engine/compile/index.js';
import { f32 } from '../../lib/engine/ir/tensor.js';
import { buildQuadModel, loadOptimFixtures } from './optim-model.js';

describe('execution providers', function () {
  this.timeout(60000);
  let cudaWorks = false;

  before(async () => {
    cudaWorks = await chooseProvider('cuda', 'error', () => undefined).then(() => true, () => false);
  });

  it("'cuda' where no CUDA runtime is installed: ProviderUnavailableError naming the provider and the reason", async function () {
    if (cudaWorks) this.skip();
    const logs: string[] = [];
    await assert.rejects(TrainStepRunner.start({ provider: 'cuda', log: (m) => logs.push(m) }), (e: Error) => {
      assert.ok(e instanceof ProviderUnavailableError, `got ${e.name}: ${e.message}`);
      assert.match(e.message, /execution provider 'cuda' could not start: .+\. .*fallback: 'cpu'/);
      assert.ok(e.reason.length > 0);
      return true;
    });
    assert.deepEqual(logs, [], 'no fallback may happen without being allowed');
  });

  it("with fallback 'cpu': logs the fallback, reports cpu and runs", async function () {
    if (cudaWorks) this.skip();
    const logs: string[] = [];
    const runner = await TrainStepRunner.start({ provider: 'cuda', fallback: 'cpu', log: (m) => logs.push(m) });
    try {
      assert.equal(runner.provider, 'cpu');
      assert.ok(runner.fallbackReason);
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^provider cuda unavailable \(.+\); falling back to cpu$/);
      const fx = loadOptimFixtures()[0]!;
      const { g, loss } = buildQuadModel(fx);
      await runner.addProgram('eval', compileEval(g, { params: ['w', 'b', 'u'], outputs: [loss] }), { initState: true });
      const out = await runner.run('eval', { x: f32([3, 4], new Array(12).fill(1)) });
      assert.ok(Number.isFinite(out[loss]!.data[0] as number));
    } finally {
      await runner.close();
    }
  });

  it("'cpu' needs no probe and is reported as used; unknown providers are rejected", async () => {
    const runner = await TrainStepRunner.start({ provider: 'cpu', inThread: true });
    assert.equal(runner.provider, 'cpu');
    assert.equal(runner.fallbackReason, undefined);
    await runner.close();
    await assert.rejects(TrainStepRunner.start({ provider: 'tpu' as 'cpu', inThread: true }), /unknown execution provider 'tpu'/);
  });
});
