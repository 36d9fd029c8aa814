/**
 * The PyTorch fixtures of the Conv and Relu gradient rules (test/fixtures/ops) under every
 * non-default formulation those rules offer (conv-util.ts convGradTuning, relu_grad.ts
 * reluGradTuning): each alternative is exact and kept for A/B measurements, so each must pass
 * the same fixtures as the default.
 */
import assert from 'node:assert/strict';
import { convGradTuning } from '../../lib/engine/autodiff/grads/conv-util.js';
import { reluGradTuning } from '../../lib/engine/autodiff/grads/relu_grad.js';
import { loadFixtures, runFixture } from '../helpers/op-fixture.js';
import '../../lib/engine/autodiff/backward.js';

const fixtures = loadFixtures();

type Tuning = { conv?: Partial<typeof convGradTuning>; relu?: Partial<typeof reluGradTuning> };
const VARIANTS: [string, string, Tuning][] = [
  ['Conv', 'weightGrad gather for every width', { conv: { weightGrad: 'gather', convWeightGradMaxC: 0 } }],
  ['Conv', 'weightGrad gather-pad', { conv: { weightGrad: 'gather-pad' } }],
  ['Conv', 'weightGrad conv', { conv: { weightGrad: 'conv' } }],
  ['Conv', 'weightGrad taps', { conv: { weightGrad: 'taps' } }],
  ['Conv', 'depthwise dW taps', { conv: { depthwiseWeightGrad: 'taps' } }],
  ['Conv', 'inputGrad convT', { conv: { inputGrad: 'convT' } }],
  ['Conv', 'flip slice', { conv: { flip: 'slice' } }],
  ['Relu', 'relu where', { relu: { method: 'where' } }],
];

describe('gradient rule alternatives against the PyTorch fixtures', () => {
  for (const [op, label, tuning] of VARIANTS) {
    it(`${op} with ${label}`, async () => {
      const mine = fixtures.filter((f) => f.op === op);
      assert.ok(mine.length > 0, `no ${op} fixtures`);
      const saved = { conv: { ...convGradTuning }, relu: { ...reluGradTuning } };
      Object.assign(convGradTuning, tuning.conv ?? {});
      Object.assign(reluGradTuning, tuning.relu ?? {});
      try {
        for (const fx of mine) {
          const r = await runFixture(fx);
          assert.ok(r.grads.length > 0 || fx.grads.every((x) => x === null), `${fx.name}: no gradient was checked`);
          for (const gr of r.grads) assert.ok(gr.err <= fx.tolerance, `${fx.name} d/d input ${gr.index}: relative error ${gr.err.toExponential(2)} > ${fx.tolerance}`);
        }
      } finally {
        Object.assign(convGradTuning, saved.conv);
        Object.assign(reluGradTuning, saved.relu);
      }
    });
  }
});
