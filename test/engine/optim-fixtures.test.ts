/**
 * Optimiser semantics against PyTorch: every fixture of tools/pytorch/optim_fixtures.py is
 * compiled into a step graph and run for the same steps on the worker-thread runner; the loss,
 * the gradient norm and every parameter are compared with torch.optim after every step.
 */
import assert from 'node:assert/strict';
import { compileTrainStep } from '../../lib/engine/compile/index.js';
import { makeSchedule } from '../../lib/engine/optim/index.js';
import { TrainStepRunner } from '../../lib/engine/runtime/index.js';
import { buildQuadModel, f32t, loadOptimFixtures, relErr, type OptimFixture } from './optim-model.js';

const TOL = 1e-5;

/** Runs a fixture through the engine; returns the worst relative error over all steps. */
async function runFixture(runner: TrainStepRunner, fx: OptimFixture, override: Partial<OptimFixture> = {}): Promise<{ params: number; loss: number; lr: number; norm: number }> {
  const cfg = { ...fx, ...override };
  const { g, loss } = buildQuadModel(fx, fx.name);
  const step = compileTrainStep(g, {
    loss,
    groups: cfg.groups,
    optimizer: cfg.optimizer,
    ...(cfg.clip ? { clip: cfg.clip } : {}),
  });
  await runner.addProgram(fx.name, step);
  await runner.setState(step.initialState);
  const schedule = makeSchedule(cfg.schedule, `${fx.name}.schedule`);
  const worst = { params: 0, loss: 0, lr: 0, norm: 0 };
  for (let s = 0; s < fx.steps.length; s++) {
    const want = fx.steps[s]!;
    const lr = schedule(s);
    worst.lr = Math.max(worst.lr, Math.abs(lr - want.lr) / want.lr);
    const r = await runner.trainStep(fx.name, { x: f32t(fx.data[s]!) }, { lr });
    assert.equal(r.finite, true);
    worst.loss = Math.max(worst.loss, relErr([r.loss], [want.loss]));
    if (want.gradNorm !== null) worst.norm = Math.max(worst.norm, relErr([r.gradNorm ?? NaN], [want.gradNorm]));
    const got = await runner.getState(['w', 'b', 'u']);
    for (const k of ['w', 'b', 'u'] as const) {
      const e = relErr(got.get(k)!.data as Float32Array, want.params[k]);
      worst.params = Math.max(worst.params, Number.isNaN(e) ? Infinity : e);
    }
  }
  return worst;
}

describe('optimisers in the step graph match torch.optim (fixtures)', function () {
  let runner: TrainStepRunner;
  const fixtures = loadOptimFixtures();

  before(async () => {
    runner = await TrainStepRunner.start({ threads: 1 });
  });
  after(async () => {
    await runner?.close();
  });

  it('has the fixtures', () => {
    assert.ok(fixtures.length >= 10, `expected the optimiser fixtures in test/fixtures/optim (regenerate with python3 tools/pytorch/optim_fixtures.py), found ${fixtures.length}`);
  });

  for (const fx of fixtures) {
    it(`${fx.name}: lr, loss${fx.clip?.kind === 'norm' ? ', grad norm' : ''} and parameters after each of ${fx.steps.length} steps`, async () => {
      const w = await runFixture(runner, fx);
      assert.ok(w.lr < 1e-9, `schedule lr differs from PyTorch's by ${w.lr}`);
      assert.ok(w.loss < TOL, `loss differs by ${w.loss}`);
      assert.ok(w.norm < TOL, `gradient norm differs by ${w.norm}`);
      assert.ok(w.params < TOL, `parameters differ by ${w.params} (relative)`);
      if (process.env['OPTIM_VERBOSE']) console.log(`      worst relative errors: ${JSON.stringify(w)}`);
    });
  }

  // negative controls: the comparison detects a semantic difference of each kind
  const byName = (n: string) => fixtures.find((f) => f.name === n)!;
  const controls: [string, (fx: OptimFixture) => Partial<OptimFixture>][] = [
    ['sgd_nesterov_wd without nesterov', (fx) => ({ optimizer: { ...fx.optimizer, nesterov: false } as OptimFixture['optimizer'] })],
    ['sgd_dampening without dampening', (fx) => ({ optimizer: { ...fx.optimizer, dampening: 0 } as OptimFixture['optimizer'] })],
    ['sgd_groups_lr_mult with every lrMult 1', (fx) => ({ groups: fx.groups.map((g) => ({ ...g, lrMult: 1 })) })],
    ['adamw without weight decay', (fx) => ({ optimizer: { ...fx.optimizer, weightDecay: 0 } as OptimFixture['optimizer'] })],
    ['sgd_clip_norm without clipping', () => ({ clip: null })],
  ];
  for (const [label, change] of controls) {
    it(`control: ${label} does not match`, async () => {
      const fx = byName(label.split(' ')[0]!);
      const w = await runFixture(runner, fx, change(fx));
      assert.ok(w.params > 100 * TOL, `the changed configuration still matched (${w.params})`);
    });
  }
});
