import assert from 'node:assert/strict';
import { registeredGradOps } from '../../lib/engine/autodiff/registry.js';
import { loadFixtures, runFixture } from '../helpers/op-fixture.js';
import '../../lib/engine/autodiff/backward.js';

const fixtures = loadFixtures();

describe('gradient rules against PyTorch float64 autograd (test/fixtures/ops)', () => {
  it('every registered gradient rule has at least one fixture', () => {
    const covered = new Set(fixtures.map((f) => f.op));
    const missing = registeredGradOps().filter((op) => !covered.has(op));
    assert.deepEqual(missing, [], `rules without a PyTorch fixture: ${missing.join(', ')}`);
  });

  for (const fx of fixtures) {
    it(`${fx.op}: ${fx.name}`, async () => {
      const r = await runFixture(fx);
      for (const o of r.outputs) assert.ok(o.err <= fx.tolerance, `output ${o.index}: relative error ${o.err.toExponential(2)} > ${fx.tolerance}`);
      for (const gr of r.grads) assert.ok(gr.err <= fx.tolerance, `d/d input ${gr.index}: relative error ${gr.err.toExponential(2)} > ${fx.tolerance}`);
      assert.ok(r.grads.length > 0 || fx.grads.every((x) => x === null), 'no gradient was checked');
    });
  }
});
