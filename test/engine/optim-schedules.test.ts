/** Learning-rate schedules against torch.optim.lr_scheduler values (test/fixtures/optim/schedules.json). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, makeSchedule, polyLr, withWarmup, type ScheduleConfig } from '../../lib/engine/optim/index.js';

interface SchedFixture { config: ScheduleConfig; values: number[]; reference: string }
const file = path.resolve(process.cwd(), 'test/fixtures/optim/schedules.json');
const fixtures = (JSON.parse(fs.readFileSync(file, 'utf8')) as { schedules: SchedFixture[] }).schedules;

describe('lr schedules match PyTorch', () => {
  for (const fx of fixtures) {
    it(`${fx.reference}: ${JSON.stringify(fx.config)}`, () => {
      const s = makeSchedule(fx.config);
      fx.values.forEach((want, t) => {
        const got = s(t);
        assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), 1e-6), `step ${t}: ${got} vs PyTorch ${want}`);
      });
    });
  }

  it('warm-up composes with any schedule and starts the inner one after it', () => {
    const inner = polyLr({ base: 1, maxSteps: 10, power: 1 });
    const s = withWarmup(inner, { steps: 4, startFactor: 0.5 });
    assert.equal(s(0), 0.5);
    assert.equal(s(2), 0.75);
    assert.equal(s(4), inner(0));
    assert.equal(s(9), inner(5));
  });

  it('rejects bad configs naming the field', () => {
    assert.throws(() => makeSchedule({ kind: 'poly', base: 0.01, maxSteps: 0 }, 'student.schedule'), (e: Error) => e instanceof ConfigError && /student\.schedule\.maxSteps/.test(e.message));
    assert.throws(() => makeSchedule({ kind: 'cosine', base: 0.01, maxSteps: 5, warmup: { steps: 2, startFactor: 0 } }), /schedule\.warmup\.startFactor/);
    assert.throws(() => makeSchedule({ kind: 'step' } as unknown as ScheduleConfig), /schedule\.kind/);
  });
});
