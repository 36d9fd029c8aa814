/**
 * Test support for the optimiser/runtime tests: the tiny model of tools/pytorch/optim_fixtures.py
 *   L = sum(c·(x·w + b + f)²) + sum(e·u·u + h·u)
 * with parameters w [3,4], b [4], u [5] (initializers), frozen f [4], constants c, e, h and the
 * data input x [3,4], plus the fixture loader.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import type { ClipConfig, ParamGroup } from '../../lib/engine/compile/index.js';
import type { OptimizerConfig, ScheduleConfig } from '../../lib/engine/optim/index.js';

export interface Arr { shape: number[]; data: number[] }

export interface OptimFixture {
  name: string;
  optimizer: OptimizerConfig;
  groups: ParamGroup[];
  clip: ClipConfig | null;
  schedule: ScheduleConfig;
  init: Record<'w' | 'b' | 'u' | 'f', Arr>;
  consts: Record<'c' | 'e' | 'h', Arr>;
  data: Arr[];
  steps: { lr: number; loss: number; gradNorm: number | null; params: Record<'w' | 'b' | 'u', number[]> }[];
}

export const OPTIM_FIXTURES = path.resolve(process.cwd(), 'test/fixtures/optim');

export function loadOptimFixtures(): OptimFixture[] {
  return fs.readdirSync(OPTIM_FIXTURES).filter((f) => f.endsWith('.json') && f !== 'schedules.json').sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(OPTIM_FIXTURES, f), 'utf8')) as OptimFixture);
}

export const f32t = (a: Arr): TensorData => tensor('float32', a.shape, a.data);

/** The fixture model's forward graph; returns the builder and the loss name. */
export function buildQuadModel(fx: Pick<OptimFixture, 'init' | 'consts'>, name = 'quad'): { g: GraphBuilder; loss: string } {
  const g = new GraphBuilder(name);
  const x = g.input('x', 'float32', [3, 4]);
  const w = g.initializer('w', f32t(fx.init.w));
  const b = g.initializer('b', f32t(fx.init.b));
  const u = g.initializer('u', f32t(fx.init.u));
  const f = g.initializer('f', f32t(fx.init.f));
  const c = g.constant(f32t(fx.consts.c), 'c');
  const e = g.constant(f32t(fx.consts.e), 'e');
  const h = g.constant(f32t(fx.consts.h), 'h');
  const y = g.op1('Add', [g.op1('Add', [g.op1('Mul', [x, w]), b]), f]);
  const l1 = g.op1('ReduceSum', [g.op1('Mul', [c, g.op1('Mul', [y, y])])], { keepdims: 0 });
  const l2 = g.op1('ReduceSum', [g.op1('Add', [g.op1('Mul', [g.op1('Mul', [e, u]), u]), g.op1('Mul', [h, u])])], { keepdims: 0 });
  const loss = g.op1('Add', [l1, l2], {}, { outputName: 'loss' });
  return { g, loss };
}

/** max|a−b| / max(max|b|, floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let num = 0;
  let den = floor;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(Number(a[i]) - Number(b[i])));
    den = Math.max(den, Math.abs(Number(b[i])));
  }
  return num / den;
}
