/**
 * Pooling / Resize / Dropout checks that the generic PyTorch fixtures cannot make:
 * - ceil_mode pools whose last-window rule drops a window, and Resize scales whose float32
 *   product in·s rounds up to an integer (test/fixtures/nn-pool, written by
 *   `python3 tools/pytorch/opcases/nn_pool.py`): onnxruntime's load-time ONNX shape inference
 *   disagrees with its kernel there and refuses such graphs at optimisation levels ≥ basic, so
 *   the plain nodes run unoptimised; maxPoolWithIndices / averagePool / resize build loadable
 *   equivalents that run with the default session options;
 * - Dropout in training mode (random mask): dX = dY·mask/(1−p), kept fraction ≈ 1−p;
 * - Resize interpolation matrices (A_h·X·A_wᵀ) against onnxruntime's Resize for many sizes/modes;
 * - errors for unsupported configurations, naming the op and the node.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { maxPoolWithIndices } from '../../lib/engine/autodiff/grads/maxpool_grad.js';
import { averagePool } from '../../lib/engine/autodiff/grads/averagepool_grad.js';
import { resize } from '../../lib/engine/autodiff/grads/resize_grad.js';
import { interpMatrix, type AxisInterp, type CoordMode, type NearestMode } from '../../lib/engine/autodiff/grads/interp-matrix.js';
import { resizeGeometry } from '../../lib/engine/ir/shapes/resize-geometry.js';
import type { Graph } from '../../lib/engine/ir/graph.js';
import { numel, tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { encodeModel } from '../../lib/engine/onnx/encode.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { fromOrt, toOrt } from '../../lib/engine/runtime/ort-tensor.js';
import { relErr, type OpFixture } from '../helpers/op-fixture.js';

const SEPARATE_DIR = path.resolve(process.cwd(), 'test/fixtures/nn-pool');

/**
 * Runs a graph with onnxruntime's graph optimisations disabled: with them (even with value_info
 * declared) it re-infers the wrong ONNX shape of such a pool or Resize and refuses the graph.
 */
async function runUnoptimized(graph: Graph, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
  const s = await ort.InferenceSession.create(encodeModel(graph), { executionProviders: ['cpu'], logSeverityLevel: 3, graphOptimizationLevel: 'disabled' });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = toOrt(v);
    const res = await s.run(f, graph.outputs.map((o) => o.name));
    return Object.fromEntries(Object.entries(res).map(([k, v]) => [k, fromOrt(v)]));
  } finally {
    await s.release();
  }
}

/** Builds the fixture's graph (single op, L = Σ sum(Y_k ⊙ G_k), backward); `pool` overrides the op. */
function fixtureGraph(fx: OpFixture, pool?: (g: GraphBuilder, x: string) => string[]) {
  const g = new GraphBuilder(fx.name);
  const feeds: Record<string, TensorData> = {};
  const x = fx.inputs[0]!;
  feeds.x = tensor(x.dtype, x.shape, x.data);
  const xin = g.input('x', x.dtype, x.shape);
  // constant inputs after X (Resize scales / sizes) become initializers
  const rest = fx.inputs.slice(1).map((inp, i) => (inp === null ? '' : g.initializer(`in${i + 1}`, tensor(inp.dtype, inp.shape, inp.data))));
  const outs = pool ? pool(g, xin) : g.op(fx.op, [xin, ...rest], fx.attrs, { outputs: fx.outputs.length });
  const terms = fx.upstream.flatMap((u, k) => (u === null ? [] : [g.op1('ReduceSum', [g.op1('Mul', [outs[k]!, g.constant(tensor('float32', u.shape, u.data))])], { keepdims: 0 })]));
  const loss = terms.length === 1 ? terms[0]! : g.op1('Sum', terms);
  const dx = backward(g, loss, [xin]).get(xin)!;
  outs.forEach((o) => g.output(o));
  g.output(dx);
  return { g, feeds, outs, dx };
}

function checkFixture(fx: OpFixture, res: Record<string, TensorData>, outs: string[], dx: string) {
  fx.outputs.forEach((o, k) => {
    const got = res[outs[k]!]!;
    assert.deepEqual([...got.shape], o.shape, `output ${k} shape`);
    if (fx.check_outputs[k]) assert.ok(relErr(Array.from(got.data as ArrayLike<number>, Number), o.data) <= fx.tolerance, `output ${k} differs`);
  });
  const err = relErr(res[dx]!.data as Float32Array, fx.grads[0]!.data);
  assert.ok(err <= fx.tolerance, `dX relative error ${err.toExponential(2)}`);
}

const separate: OpFixture[] = fs.existsSync(SEPARATE_DIR)
  ? fs.readdirSync(SEPARATE_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(fs.readFileSync(path.join(SEPARATE_DIR, f), 'utf8')) as OpFixture)
  : [];
const lastwin = separate.filter((f) => f.op !== 'Resize');

describe('outputs whose ONNX-inferred shape differs from the kernel\'s (PyTorch fixtures in test/fixtures/nn-pool)', () => {
  it('has the fixtures', () => assert.ok(lastwin.length >= 4 && separate.length > lastwin.length));
  for (const fx of separate) {
    it(`${fx.op}: ${fx.name} (plain node, graph optimisations off)`, async () => {
      const { g, feeds, outs, dx } = fixtureGraph(fx);
      checkFixture(fx, await runUnoptimized(g.graph, feeds), outs, dx);
    });
  }
  for (const fx of lastwin.filter((f) => f.op === 'AveragePool')) {
    it(`averagePool: ${fx.name}, default session options`, async () => {
      const { g, feeds, outs, dx } = fixtureGraph(fx, (b, x) => [averagePool(b, x, fx.attrs)]);
      checkFixture(fx, await runGraph(g.graph, feeds), outs, dx);
    });
  }
  for (const fx of lastwin.filter((f) => f.op === 'MaxPool')) {
    it(`maxPoolWithIndices: ${fx.name} as floor mode, default session options, one MaxPool node`, async () => {
      const { g, feeds, outs, dx } = fixtureGraph(fx, (b, x) => {
        const { y, indices } = maxPoolWithIndices(b, x, fx.attrs);
        return fx.outputs.length > 1 ? [y, indices] : [y];
      });
      const pools = g.graph.nodes.filter((n) => n.op === 'MaxPool');
      assert.equal(pools.length, 1, 'the backward reuses the forward indices');
      assert.ok(!pools[0]!.attrs['ceil_mode'] || pools[0]!.attrs['ceil_mode'].value === 0);
      checkFixture(fx, await runGraph(g.graph, feeds), outs, dx);
    });
  }
  for (const fx of separate.filter((f) => f.op === 'Resize')) {
    it(`resize: ${fx.name}, default session options`, async () => {
      const attrs = Object.fromEntries(Object.entries(fx.attrs).map(([k, a]) => [k, a.value as string]));
      const { g, feeds, outs, dx } = fixtureGraph(fx, (b, x) => [resize(b, x, attrs, { scales: fx.inputs[2]!.data })]);
      assert.equal(g.graph.nodes[1]!.op, 'Reshape', 'the shape is pinned by a Reshape');
      checkFixture(fx, await runGraph(g.graph, feeds), outs, dx);
    });
  }
});

describe('Dropout in training mode', () => {
  const shape = [4, 64, 64];
  const n = numel(shape);
  const x = tensor('float32', shape, Array.from({ length: n }, (_, i) => 0.5 + ((i * 7919) % 1000) / 1000));
  const G = Array.from({ length: n }, (_, i) => Math.sin(i));

  async function train(p: number, withMask: boolean) {
    const g = new GraphBuilder('dropout');
    const xi = g.input('x', 'float32', shape);
    const outs = g.op('Dropout', [xi, g.constF32(p), g.constant(tensor('bool', [], [1]))], {}, { outputs: withMask ? 2 : 1 });
    const loss = g.op1('ReduceSum', [g.op1('Mul', [outs[0]!, g.constant(tensor('float32', shape, G))])], { keepdims: 0 });
    const dx = backward(g, loss, [xi]).get(xi)!;
    const node = g.graph.nodes.find((nd) => nd.op === 'Dropout')!;
    assert.equal(node.outputs.length, 2, 'the forward node has a mask output');
    g.output(outs[0]!);
    g.output(node.outputs[1]!);
    g.output(dx);
    const r = await runGraph(g.graph, { x });
    return { y: r[outs[0]!]!.data as Float32Array, mask: r[node.outputs[1]!]!.data as Uint8Array, dx: r[dx]!.data as Float32Array };
  }

  for (const withMask of [true, false]) {
    it(`dX = dY·mask/(1−p), Y = X·mask/(1−p), kept ≈ 1−p (${withMask ? 'mask output given' : 'mask output added by the rule'})`, async () => {
      const p = 0.3;
      const { y, mask, dx } = await train(p, withMask);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const m = mask[i] ? 1 : 0;
        kept += m;
        assert.ok(Math.abs(dx[i]! - (G[i]! * m) / (1 - p)) <= 1e-5 * (1 + Math.abs(G[i]!)), `dX[${i}]`);
        assert.ok(Math.abs(y[i]! - (Number(x.data[i]) * m) / (1 - p)) <= 1e-5 * 3, `Y[${i}]`);
      }
      assert.ok(Math.abs(kept / n - (1 - p)) < 0.02, `kept fraction ${kept / n}`);
    });
  }

  it('training_mode and ratio fed at run time: scaled mask when true, identity when false', async () => {
    const g = new GraphBuilder('dropout_dyn');
    const xi = g.input('x', 'float32', shape);
    const tm = g.input('tm', 'bool', []);
    const ratio = g.input('r', 'float32', []);
    const [y, mask] = g.op('Dropout', [xi, ratio, tm], {}, { outputs: 2 });
    const loss = g.op1('ReduceSum', [g.op1('Mul', [y!, g.constant(tensor('float32', shape, G))])], { keepdims: 0 });
    const dx = backward(g, loss, [xi]).get(xi)!;
    g.output(mask!);
    g.output(dx);
    for (const t of [true, false]) {
      const r = await runGraph(g.graph, { x, tm: tensor('bool', [], [t ? 1 : 0]), r: tensor('float32', [], [0.25]) });
      const m = r[mask!]!.data as Uint8Array;
      const d = r[dx]!.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const want = t ? (G[i]! * (m[i] ? 1 : 0)) / 0.75 : G[i]!;
        assert.ok(Math.abs(d[i]! - want) <= 1e-5 * (1 + Math.abs(G[i]!)), `training_mode=${t}: dX[${i}]`);
      }
    }
  });
});

describe('Resize interpolation matrices match onnxruntime', () => {
  interface Cfg { it: AxisInterp; inH: number; inW: number; scales?: number[]; sizes?: number[] }
  const cfgs: Cfg[] = [];
  const pairs = [[1, 3], [2, 1], [3, 7], [4, 4], [5, 8], [6, 4], [7, 14], [9, 4], [8, 3], [10, 7], [13, 12], [3, 10]];
  const scaleList = [2, 0.5, 3, 1 / 3, 1.5, 0.75, 1.6, 0.625, 0.7, 1.3, 2.5, 0.4];
  const modes: AxisInterp[] = [];
  for (const coord of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'] as CoordMode[]) {
    modes.push({ mode: 'linear', coord, nearest: 'round_prefer_floor' });
    for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as NearestMode[]) modes.push({ mode: 'nearest', coord, nearest });
  }
  for (const m of modes) {
    pairs.forEach(([a, b], i) => {
      const [c, d] = pairs[(i + 5) % pairs.length]!;
      cfgs.push({ it: m, inH: a!, inW: c!, sizes: [1, 2, b!, d!] });
    });
    scaleList.forEach((s, i) => {
      const t = scaleList[(i + 3) % scaleList.length]!;
      cfgs.push({ it: m, inH: 7 + (i % 4), inW: 9 - (i % 3), scales: [1, 1, s, t] });
    });
  }

  it(`A_h·X·A_wᵀ equals Resize for ${cfgs.length} configurations (exact for nearest)`, async function () {
    this.timeout(30000);
    const g = new GraphBuilder('resize_grid');
    const feeds: Record<string, TensorData> = {};
    const outs: string[] = [];
    cfgs.forEach((c, k) => {
      const shape = [1, 2, c.inH, c.inW];
      // distinct values per pixel so that a wrong source index cannot go unnoticed
      feeds[`x${k}`] = tensor('float32', shape, Array.from({ length: numel(shape) }, (_, i) => ((i * 37) % 101) / 10 - 5));
      const xi = g.input(`x${k}`, 'float32', shape);
      const sc = c.scales ? g.constant(tensor('float32', [4], c.scales)) : '';
      const sz = c.sizes ? g.constI64(c.sizes) : '';
      const y = g.op1('Resize', c.sizes ? [xi, '', sc, sz] : [xi, '', sc], {
        mode: c.it.mode, coordinate_transformation_mode: c.it.coord, nearest_mode: c.it.nearest,
      });
      g.output(y);
      outs.push(y);
    });
    const res = await runGraph(g.graph, feeds);
    const bad: string[] = [];
    cfgs.forEach((c, k) => {
      const x = feeds[`x${k}`]!;
      const node = g.graph.nodes[k]!;
      const geo = resizeGeometry(node, x.shape, c.scales ? tensor('float32', [4], c.scales) : undefined, c.sizes ? tensor('int64', [4], c.sizes) : undefined, { scales: !!c.scales, sizes: !!c.sizes });
      const [Ho, Wo] = [geo.outSize[2]!, geo.outSize[3]!];
      const got = res[outs[k]!]!;
      if (got.shape[2] !== Ho || got.shape[3] !== Wo) { bad.push(`${JSON.stringify(c)}: shape ${got.shape} vs [${Ho},${Wo}]`); return; }
      const Ah = interpMatrix(c.inH, Ho, geo.scales[2]!, c.it);
      const Aw = interpMatrix(c.inW, Wo, geo.scales[3]!, c.it);
      const want: number[] = [];
      for (let p = 0; p < 2; p++) {
        for (let i = 0; i < Ho; i++) {
          for (let j = 0; j < Wo; j++) {
            let s = 0;
            for (let a = 0; a < c.inH; a++) {
              const ah = Ah[i * c.inH + a]!;
              if (ah === 0) continue;
              for (let b = 0; b < c.inW; b++) s += ah * Aw[j * c.inW + b]! * Number(x.data[p * c.inH * c.inW + a * c.inW + b]);
            }
            want.push(s);
          }
        }
      }
      const err = relErr(got.data as Float32Array, want, 1);
      if (err > (c.it.mode === 'nearest' ? 0 : 2e-6)) bad.push(`${JSON.stringify(c)}: error ${err.toExponential(2)}`);
    });
    assert.deepEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 20).join('\n')}`);
  });
});

describe('nn-pool gradient rules: unsupported configurations raise errors naming the node', () => {
  function resizeGrad(attrs: Record<string, string | number>, scales = [1, 1, 2, 2]) {
    const g = new GraphBuilder('err');
    const x = g.input('x', 'float32', [1, 2, 3, 4]);
    const y = g.op1('Resize', [x, '', g.constant(tensor('float32', [4], scales))], attrs, { name: 'myResize' });
    backward(g, g.op1('ReduceSum', [y], { keepdims: 0 }), [x]);
  }
  it('Resize mode cubic', () => assert.throws(() => resizeGrad({ mode: 'cubic' }), /Resize node 'myResize'.*cubic/));
  it('Resize tf_crop_and_resize', () => assert.throws(() => resizeGrad({ mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' }), /Resize node 'myResize'.*tf_crop_and_resize/));
  it('Resize of the channel axis', () => assert.throws(() => resizeGrad({ mode: 'linear' }, [1, 2, 2, 2]), /Resize node 'myResize'.*axis 1/));
  it('Resize with non-constant scales (shape inference)', () => {
    const g = new GraphBuilder('err');
    const x = g.input('x', 'float32', [1, 2, 3, 4]);
    const s = g.input('s', 'float32', [4]);
    assert.throws(() => g.op1('Resize', [x, '', s], { mode: 'linear' }, { name: 'dynResize' }), /Resize node 'dynResize'.*scales/);
  });
  it('MaxPool storage_order=1', () => {
    const g = new GraphBuilder('err');
    const x = g.input('x', 'float32', [1, 2, 6, 6]);
    const y = g.op1('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, { name: 'mp' });
    assert.throws(() => backward(g, g.op1('ReduceSum', [y], { keepdims: 0 }), [x]), /MaxPool node 'mp'.*storage_order/);
  });
  it('MaxPool window larger than the padded input (shape inference)', () => {
    const g = new GraphBuilder('err');
    const x = g.input('x', 'float32', [1, 2, 3, 3]);
    assert.throws(() => g.op1('MaxPool', [x], { kernel_shape: [5, 5] }, { name: 'big' }), /MaxPool node 'big'/);
  });
});
