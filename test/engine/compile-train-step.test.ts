/** The training-step compiler: graph interface, validation, the NaN guard, buffers, grads, eval graphs. */
import assert from 'node:assert/strict';
import { compileEval, compileTrainStep, nextName, type TrainStepSpec } from '../../lib/engine/compile/index.js';
import { finiteFlag } from '../../lib/engine/compile/finite-guard.js';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { f32, tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { ConfigError } from '../../lib/engine/optim/index.js';
import { runGraph, TrainStepRunner } from '../../lib/engine/runtime/index.js';
import { gradRule } from '../../lib/engine/autodiff/registry.js';
import { softmaxCrossEntropy } from '../../lib/engine/losses/cross-entropy.js';
import { buildQuadModel, loadOptimFixtures } from './optim-model.js';

const fx = loadOptimFixtures()[0]!;
const sgd: TrainStepSpec['optimizer'] = { kind: 'sgd', momentum: 0.9, weightDecay: 1e-3 };
const xs = (v: number) => f32([3, 4], new Array(12).fill(v));

/** Feeds every state input from `state` plus data and lr; returns the outputs. */
async function runOnce(step: ReturnType<typeof compileTrainStep>, state: Map<string, TensorData>, data: Record<string, TensorData>, lr: number) {
  const feeds: Record<string, TensorData> = { ...data, [step.signature.lr!]: f32([], [lr]) };
  for (const s of step.signature.state) feeds[s.name] = state.get(s.name)!;
  return runGraph(step.graph, feeds);
}

describe('compileTrainStep', () => {
  it('turns trainable parameters and optimiser state into inputs and keeps frozen ones as initializers', () => {
    const { g, loss } = buildQuadModel(fx);
    const before = g.graph.nodes.length;
    const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b'] }, { params: ['u'], lrMult: 10 }], optimizer: sgd });
    assert.equal(g.graph.nodes.length, before, 'the forward builder must not be modified');
    assert.ok(g.graph.initializers.has('w'));
    const inputs = step.graph.inputs.map((i) => i.name);
    assert.deepEqual(inputs.slice(0, 1), ['x']);
    for (const n of ['lr', 'optim/step', 'w', 'b', 'u', 'optim/momentum_buffer/w', 'optim/momentum_buffer/b', 'optim/momentum_buffer/u']) assert.ok(inputs.includes(n), `input ${n}`);
    assert.ok(!inputs.includes('f') && step.graph.initializers.has('f'), 'frozen f stays an initializer');
    assert.ok(!step.graph.initializers.has('w'));
    const outs = step.graph.outputs.map((o) => o.name);
    for (const s of step.signature.state) assert.ok(outs.includes(nextName(s.name)), `output next/${s.name}`);
    assert.ok(outs.includes(loss) && outs.includes(step.signature.finite!));
    assert.deepEqual(step.signature.data.map((d) => d.name), ['x']);
    assert.deepEqual([...step.initialState.keys()].sort(), step.signature.state.map((s) => s.name).sort());
    assert.deepEqual(Array.from(step.initialState.get('optim/momentum_buffer/w')!.data as Float32Array), new Array(12).fill(0));
  });

  it('validates the spec with errors naming the field and tensor', () => {
    const { g, loss } = buildQuadModel(fx);
    const bad = (spec: Partial<TrainStepSpec>, re: RegExp) =>
      assert.throws(() => compileTrainStep(g, { loss, groups: [{ params: ['w'] }], optimizer: sgd, ...spec }), (e: Error) => e instanceof ConfigError && re.test(e.message), `expected ${re}`);
    bad({ groups: [{ params: ['x'] }] }, /groups\[0\]\.params: 'x' is not an initializer/);
    bad({ groups: [{ params: ['w'] }, { params: ['w'] }] }, /groups\[1\]\.params: 'w' is already in groups\[0\]/);
    bad({ loss: 'nope' }, /loss: no value named 'nope'/);
    bad({ loss: 'x' }, /loss: 'x' must be a float32 scalar/);
    bad({ optimizer: { kind: 'sgd', momentum: -1 } }, /optimizer\.momentum/);
    bad({ optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, dampening: 0.1 } }, /optimizer\.nesterov/);
    bad({ optimizer: { kind: 'adamw', beta2: 1 } }, /optimizer\.beta2/);
    bad({ groups: [{ params: ['w'], lrMult: -1 }] }, /groups\[0\]\.lrMult/);
    bad({ clip: { kind: 'norm', maxNorm: 0 } }, /clip\.maxNorm/);
    bad({ extras: ['zzz'] }, /extras: no value named 'zzz'/);
    bad({ buffers: [{ name: 'f', from: 'x' }] }, /buffers\[0\]: 'x' is float32 \[3,4\] but buffer 'f' is float32 \[4\]/);
    // a parameter the loss does not depend on
    const g2 = new GraphBuilder('unused');
    const p = g2.initializer('p', f32([2], [1, 2]));
    g2.initializer('q', f32([2], [1, 2]));
    const l = g2.op1('ReduceSum', [g2.op1('Mul', [p, p])], { keepdims: 0 });
    assert.throws(() => compileTrainStep(g2, { loss: l, groups: [{ params: ['p', 'q'] }], optimizer: sgd }), /trainable parameter 'q' does not affect the loss/);
  });

  it('the finite flag catches NaN and ±Inf anywhere, and does not overflow on large finite values', async () => {
    const g = new GraphBuilder('finite');
    const a = g.input('a', 'float32', [3]);
    const b = g.input('b', 'float32', []);
    const flag = finiteFlag(g, [a, b]);
    g.output(flag);
    const cases: [number[], number, boolean][] = [
      [[1, 2, 3], 4, true],
      [[3e38, -3e38, 3e38], 3e38, true],
      [[1, NaN, 3], 4, false],
      [[1, 2, Infinity], 4, false],
      [[1, 2, 3], -Infinity, false],
    ];
    for (const [av, bv, want] of cases) {
      const r = await runGraph(g.graph, { a: f32([3], av), b: f32([], [bv]) });
      assert.equal(r[flag]!.data[0] !== 0, want, `a=${av} b=${bv}`);
    }
  });

  it('with nanGuard: true, a non-finite step leaves every state tensor unchanged in the graph', async () => {
    const { g, loss } = buildQuadModel(fx);
    const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b', 'u'] }], optimizer: { kind: 'adamw' }, nanGuard: true });
    const state = new Map(step.initialState);
    // one good step so that the optimiser state is non-zero
    const r1 = await runOnce(step, state, { x: xs(0.5) }, 0.01);
    assert.equal(r1[step.signature.finite!]!.data[0], 1);
    for (const s of step.signature.state) state.set(s.name, r1[s.next!]!);
    assert.equal(state.get('optim/step')!.data[0], 1);
    const bad = xs(0.5);
    (bad.data as Float32Array)[5] = NaN;
    const r2 = await runOnce(step, state, { x: bad }, 0.01);
    assert.equal(r2[step.signature.finite!]!.data[0], 0);
    assert.ok(Number.isNaN(r2[loss]!.data[0] as number));
    for (const s of step.signature.state) {
      assert.deepEqual(Array.from(r2[s.next!]!.data as Float32Array), Array.from(state.get(s.name)!.data as Float32Array), `${s.name} changed`);
    }
    // without the guard (the default: the runtime refuses to commit instead, see
    // runtime-nonfinite.test.ts) the same step's outputs are corrupt and only the flag says so
    const unguarded = compileTrainStep(buildQuadModel(fx).g, { loss, groups: [{ params: ['w', 'b', 'u'] }], optimizer: { kind: 'adamw' } });
    assert.ok(!unguarded.graph.nodes.some((n) => n.op === 'Where'), 'no in-graph guard by default');
    const r3 = await runOnce(unguarded, state, { x: bad }, 0.01);
    assert.equal(r3[unguarded.signature.finite!]!.data[0], 0);
    assert.ok(Array.from(r3[nextName('w')]!.data as Float32Array).some(Number.isNaN));
  });

  it('buffer updates rotate running statistics and follow the guard', async () => {
    // running mean of the column means of x: rm' = 0.9·rm + 0.1·mean_rows(x)
    const g = new GraphBuilder('bn_like');
    const x = g.input('x', 'float32', [3, 4]);
    const w = g.initializer('w', f32([4], [1, -1, 2, 0.5]));
    const rm = g.initializer('rm', f32([4], [0, 0, 0, 0]));
    const colMean = g.op1('Mul', [g.op1('ReduceSum', [x, g.constI64([0])], { keepdims: 0 }), g.constF32(1 / 3)]);
    const rmNext = g.op1('Add', [g.op1('Mul', [rm, g.constF32(0.9)]), g.op1('Mul', [colMean, g.constF32(0.1)])]);
    const loss = g.op1('ReduceSum', [g.op1('Mul', [g.op1('Mul', [x, w]), w])], { keepdims: 0 });
    const step = compileTrainStep(g, { loss, groups: [{ params: ['w'] }], optimizer: { kind: 'sgd' }, buffers: [{ name: 'rm', from: rmNext }], outputGrads: true, nanGuard: true });
    assert.deepEqual(step.signature.state.find((s) => s.name === 'rm')?.role, 'buffer');
    const state = new Map(step.initialState);
    const want = [0, 0, 0, 0];
    let wv = [1, -1, 2, 0.5];
    for (let t = 0; t < 3; t++) {
      const xv = Array.from({ length: 12 }, (_, i) => Math.sin(i + 3 * t));
      const r = await runOnce(step, state, { x: f32([3, 4], xv) }, 0.1);
      for (let j = 0; j < 4; j++) want[j] = 0.9 * want[j]! + (0.1 * (xv[j]! + xv[4 + j]! + xv[8 + j]!)) / 3;
      const grad = wv.map((wj, j) => 2 * wj * (xv[j]! + xv[4 + j]! + xv[8 + j]!));
      const gotGrad = Array.from(r[step.signature.outputs['grad/w']!]!.data as Float32Array);
      gotGrad.forEach((v, j) => assert.ok(Math.abs(v - grad[j]!) < 1e-5, `grad w[${j}] ${v} vs ${grad[j]}`));
      wv = wv.map((wj, j) => wj - 0.1 * grad[j]!);
      for (const s of step.signature.state) state.set(s.name, r[s.next!]!);
      Array.from(state.get('rm')!.data as Float32Array).forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-6, `step ${t} rm[${j}] ${v} vs ${want[j]}`));
    }
    const before = Array.from(state.get('rm')!.data as Float32Array);
    const r = await runOnce(step, state, { x: f32([3, 4], new Array(12).fill(Infinity)) }, 0.1);
    assert.deepEqual(Array.from(r[nextName('rm')]!.data as Float32Array), before);
  });

  it('without the guard, each committed value is written under next/<x> by the node that computes it (no renaming Identity), and the forward graph is untouched', async () => {
    const build = () => {
      const g = new GraphBuilder('bn_like');
      const x = g.input('x', 'float32', [3, 4]);
      const w = g.initializer('w', f32([4], [1, -1, 2, 0.5]));
      const rm = g.initializer('rm', f32([4], [0, 0, 0, 0]));
      const rmNext = g.op1('Add', [g.op1('Mul', [rm, g.constF32(0.9)]), g.op1('Mul', [g.op1('ReduceSum', [x, g.constI64([0])], { keepdims: 0 }), g.constF32(0.1 / 3)])]);
      const loss = g.op1('ReduceSum', [g.op1('Mul', [g.op1('Mul', [x, w]), w])], { keepdims: 0 });
      return { g, rmNext, loss };
    };
    const { g, rmNext, loss } = build();
    const fwdNodes = g.graph.nodes.map((n) => JSON.stringify({ i: n.inputs, o: n.outputs }));
    const spec = (guard: boolean): TrainStepSpec => ({ loss, groups: [{ params: ['w'] }], optimizer: sgd, buffers: [{ name: 'rm', from: rmNext }], nanGuard: guard });
    const step = compileTrainStep(g, spec(false));
    assert.deepEqual(g.graph.nodes.map((n) => JSON.stringify({ i: n.inputs, o: n.outputs })), fwdNodes, 'forward nodes renamed');
    assert.ok(g.graph.values.has(rmNext));
    const outs = new Set(step.signature.state.map((x) => x.next!));
    const renaming = step.graph.nodes.filter((n) => n.op === 'Identity' && outs.has(n.outputs[0]!));
    assert.deepEqual(renaming.map((n) => n.outputs[0]), [], 'Identity nodes copying a computed value');
    for (const o of outs) assert.ok(step.graph.nodes.some((n) => n.outputs.includes(o)) || step.graph.inputs.some((i) => i.name === o), `nothing produces ${o}`);
    // same values as the guarded graph (which commits through Where), over two steps
    const guarded = compileTrainStep(build().g, spec(true));
    const st = [new Map(step.initialState), new Map(guarded.initialState)];
    for (let t = 0; t < 2; t++) {
      const data = { x: f32([3, 4], Array.from({ length: 12 }, (_, i) => Math.cos(i + t))) };
      const [a, b] = [await runOnce(step, st[0]!, data, 0.1), await runOnce(guarded, st[1]!, data, 0.1)];
      for (const s of step.signature.state) {
        assert.deepEqual(Array.from(a[s.next!]!.data as Float32Array), Array.from(b[s.next!]!.data as Float32Array), `step ${t} ${s.name}`);
        st[0]!.set(s.name, a[s.next!]!);
        st[1]!.set(s.name, b[s.next!]!);
      }
    }
  });

  it('train-mode BatchNormalization: running statistics are buffers updated with PyTorch semantics', async function () {
    if (gradRule('BatchNormalization') === undefined) this.skip();
    const [N, C, H, W] = [2, 3, 2, 2];
    const n = N * H * W;
    const g = new GraphBuilder('bn');
    const x = g.input('x', 'float32', [N, C, H, W]);
    const gamma = g.initializer('bn.weight', f32([C], [1, 0.5, 2]));
    const beta = g.initializer('bn.bias', f32([C], [0, 0.1, -0.2]));
    g.initializer('bn.running_mean', f32([C], [0.1, -0.1, 0]));
    g.initializer('bn.running_var', f32([C], [1, 2, 0.5]));
    const [y, rmOut, rvOut] = g.op('BatchNormalization', [x, gamma, beta, 'bn.running_mean', 'bn.running_var'], { epsilon: 1e-5, momentum: 0.9, training_mode: 1 }, { outputs: 3 });
    const wts = g.constant(f32([N, C, H, W], Array.from({ length: N * C * H * W }, (_, i) => Math.cos(i))));
    const loss = g.op1('ReduceSum', [g.op1('Mul', [y!, wts])], { keepdims: 0 });
    const step = compileTrainStep(g, {
      loss, groups: [{ params: ['bn.weight', 'bn.bias'] }], optimizer: { kind: 'sgd', momentum: 0.9 },
      buffers: [{ name: 'bn.running_mean', from: rmOut! }, { name: 'bn.running_var', from: rvOut! }],
    });
    const runner = await TrainStepRunner.start({ inThread: true, threads: 1 });
    try {
      await runner.addProgram('bn', step, { initState: true });
      let rm = [0.1, -0.1, 0];
      let rv = [1, 2, 0.5];
      for (let t = 0; t < 3; t++) {
        const xv = Array.from({ length: N * C * H * W }, (_, i) => Math.sin(0.7 * i + t) * (1 + t));
        await runner.trainStep('bn', { x: f32([N, C, H, W], xv) }, { lr: 0.1 });
        // torch.nn.BatchNorm2d(momentum=0.1): running = 0.9·running + 0.1·stat, var unbiased
        const mean = [0, 0, 0];
        const sq = [0, 0, 0];
        xv.forEach((v, i) => { mean[Math.floor(i / (H * W)) % C]! += v / n; });
        xv.forEach((v, i) => { const c = Math.floor(i / (H * W)) % C; sq[c]! += (v - mean[c]!) ** 2; });
        rm = rm.map((r, c) => 0.9 * r + 0.1 * mean[c]!);
        rv = rv.map((r, c) => 0.9 * r + 0.1 * (sq[c]! / (n - 1)));
        const st = await runner.getState(['bn.running_mean', 'bn.running_var']);
        Array.from(st.get('bn.running_mean')!.data as Float32Array).forEach((v, c) => assert.ok(Math.abs(v - rm[c]!) < 1e-5, `step ${t} running_mean[${c}] ${v} vs ${rm[c]}`));
        Array.from(st.get('bn.running_var')!.data as Float32Array).forEach((v, c) => assert.ok(Math.abs(v - rv[c]!) < 1e-5 * Math.max(1, rv[c]!), `step ${t} running_var[${c}] ${v} vs ${rv[c]}`));
      }
    } finally {
      await runner.close();
    }
  });

  it('seeds: a backward seeded with the closed-form dL/dlogits gives the gradients of the differentiated loss', async () => {
    const build = () => {
      const g = new GraphBuilder('seeded');
      const x = g.input('x', 'float32', [2, 3, 4, 5]);
      const w = g.initializer('w', f32([4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => 0.3 * Math.sin(1.7 * i))));
      const b = g.initializer('b', f32([4], [0.1, -0.2, 0.05, 0]));
      const z = g.op1('Conv', [g.op1('Relu', [x]), w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      const labels = g.input('labels', 'int64', [2, 4, 5]);
      const weights = g.input('weights', 'float32', [2, 4, 5]);
      const ce = softmaxCrossEntropy(g, z, labels, { weights });
      return { g, z, ce };
    };
    const spec = (loss: string): TrainStepSpec => ({ loss, groups: [{ params: ['w', 'b'] }], optimizer: sgd, outputGrads: true });
    const plain = build();
    const seeded = build();
    const a = compileTrainStep(plain.g, spec(plain.ce.loss));
    const s = compileTrainStep(seeded.g, { ...spec(seeded.ce.loss), seeds: [{ value: seeded.z, grad: seeded.ce.dLogits }] });
    assert.ok(s.graph.nodes.length < a.graph.nodes.length, 'the seeded step does not differentiate the loss');
    const data = {
      x: f32([2, 3, 4, 5], Array.from({ length: 120 }, (_, i) => Math.cos(0.9 * i))),
      labels: tensor('int64', [2, 4, 5], Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? 255 : (i * 5) % 4))),
      weights: f32([2, 4, 5], Array.from({ length: 40 }, (_, i) => 0.5 + (i % 3))),
    };
    const ra = await runOnce(a, new Map(a.initialState), data, 0.1);
    const rs = await runOnce(s, new Map(s.initialState), data, 0.1);
    assert.equal(rs[s.signature.loss!]!.data[0], ra[a.signature.loss!]!.data[0]);
    for (const name of ['grad/w', 'grad/b', nextName('w'), nextName('b')]) {
      const ga = Array.from(ra[name]!.data as Float32Array);
      const gs = Array.from(rs[name]!.data as Float32Array);
      const scale = Math.max(...ga.map(Math.abs));
      assert.ok(scale > 1e-3, `${name} is not trivial`);
      ga.forEach((v, i) => assert.ok(Math.abs(v - gs[i]!) <= 1e-5 * scale, `${name}[${i}] ${gs[i]} vs ${v}`));
    }
    assert.throws(() => compileTrainStep(build().g, { ...spec(plain.ce.loss), seeds: [{ value: plain.z, grad: plain.ce.loss }] }), /seeds\[0\]: grad '.*' is float32 \[\] but value/);
  });

  it('exposes extras, including data inputs and parameters, and the gradient norm', async () => {
    const { g, loss } = buildQuadModel(fx);
    const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b', 'u'] }], optimizer: sgd, extras: ['x', 'w', loss], clip: { kind: 'norm', maxNorm: 1e9 } });
    const r = await runOnce(step, new Map(step.initialState), { x: xs(0.25) }, 0.01);
    assert.deepEqual(Array.from(r[step.signature.outputs['x']!]!.data as Float32Array), new Array(12).fill(0.25));
    assert.deepEqual(Array.from(r[step.signature.outputs['w']!]!.data as Float32Array), Array.from(step.initialState.get('w')!.data as Float32Array));
    assert.equal(step.signature.outputs[loss], loss);
    assert.ok((r[step.signature.gradNorm!]!.data[0] as number) > 0);
  });
});

describe('compileEval', () => {
  it('feeds chosen initializers as inputs and returns the named outputs', async () => {
    const { g, loss } = buildQuadModel(fx);
    const ev = compileEval(g, { params: ['w', 'b', 'u'], outputs: [loss, 'x'] });
    assert.equal(ev.signature.kind, 'eval');
    assert.deepEqual(ev.signature.state.map((s) => s.name), ['w', 'b', 'u']);
    assert.ok(ev.graph.initializers.has('f'));
    const feeds: Record<string, TensorData> = { x: xs(1) };
    for (const [k, v] of ev.initialState) feeds[k] = k === 'u' ? tensor('float32', [5], [0, 0, 0, 0, 0]) : v;
    const r = await runGraph(ev.graph, feeds);
    // independent float64 evaluation of the same loss with u = 0
    const c = fx.consts.c.data;
    let want = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
      const y = fx.init.w.data[i * 4 + j]! + fx.init.b.data[j]! + fx.init.f.data[j]!;
      want += c[i * 4 + j]! * y * y;
    }
    assert.ok(Math.abs((r[ev.signature.outputs[loss]!]!.data[0] as number) - want) < 1e-5 * Math.abs(want));
    assert.throws(() => compileEval(g, { params: ['w', 'w'], outputs: [loss] }), /params\[1\]: 'w' is listed twice/);
    assert.throws(() => compileEval(g, { params: ['x'], outputs: [loss] }), /params\[0\]: 'x' is not an initializer/);
  });
});
