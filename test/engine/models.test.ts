/**
 * Whole-network gradient check: the small DeepLab (ResNet-18-like, widths 16–128, output
 * stride 8, ASPP, bilinear upsampling) at 2×3×64×64 with the weighted cross-entropy (ignore
 * 255), in both BN modes, against PyTorch float64 autograd on the same weights and batch
 * (fixtures test/fixtures/nets/small_{frozen,train}.json, tools/pytorch/net_fixtures.py).
 * Each tensor is compared through its summary (net-case.ts: norm, sum, 64 seeded values) within
 * 1e-4 relative: the loss, logits, encoder features, every trainable parameter's gradient and,
 * in train mode, the updated BN running statistics. The frozen case runs twice: plain
 * BatchNormalization nodes and BN folded into the convolutions.
 * The STvM metric head is checked the same way (test/fixtures/nets/metric_head.json).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { buildMetricHead, metricHeadSpec, type MetricHeadSpec } from '../../lib/engine/models/index.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { buildCase, netCase, summary, summaryError, type Summary } from '../../bench/nets/net-case.js';
import { assertInitialWeights, runNetCase } from './net-fixture-run.js';

interface NetFixture {
  case: string; spec: unknown; batch: number[]; param_sums: Record<string, number>;
  loss: number; logits: Summary; features: Summary; grads: Record<string, Summary>; running: Record<string, Summary>;
}

const TOL = 1e-4;
const runs: { name: string; fold: boolean }[] = [
  { name: 'small_frozen', fold: false }, { name: 'small_frozen', fold: true }, { name: 'small_train', fold: false },
];

describe('whole network: small DeepLab loss and every parameter gradient vs PyTorch float64', () => {
  for (const { name, fold } of runs) {
    it(`${name}${fold ? ' (BN folded into the convs)' : ''}: loss, logits, features, ${name.endsWith('train') ? 'running stats, ' : ''}all gradients within ${TOL} relative`, async () => {
      const fx = JSON.parse(fs.readFileSync(`test/fixtures/nets/${name}.json`, 'utf8')) as NetFixture;
      const c = netCase(name);
      assert.deepEqual(c.spec, fx.spec, 'the case changed since the fixture was written: rerun tools/pytorch/net_fixtures.py');
      const { g, model, batch } = buildCase(c, { foldFrozenBn: fold });
      if (fold) assert.ok(!g.graph.nodes.some((n) => n.op === 'BatchNormalization'), 'folded graph still has BN nodes');
      assertInitialWeights(g, model, fx.param_sums);
      const { val, loss: lossName, grads } = await runNetCase(g, model, batch);

      const loss = val(lossName)[0]!;
      assert.ok(Math.abs(loss - fx.loss) <= TOL * Math.abs(fx.loss), `loss ${loss} vs PyTorch ${fx.loss}`);
      const errs: [string, number][] = [
        ['logits', summaryError(summary(val(model.logits)), fx.logits)],
        ['features', summaryError(summary(val(model.features)), fx.features)],
      ];
      assert.deepEqual(Object.keys(fx.grads).sort(), [...model.params.trainable].sort());
      for (const p of model.params.trainable) errs.push([`d ${p}`, summaryError(summary(val(grads.get(p)!)), fx.grads[p]!)]);
      for (const u of model.bnUpdates) {
        errs.push([u.mean, summaryError(summary(val(u.newMean)), fx.running[u.mean]!)]);
        errs.push([u.var, summaryError(summary(val(u.newVar)), fx.running[u.var]!)]);
      }
      const bad = errs.filter(([, e]) => !(e <= TOL));
      const worst = errs.reduce((a, b) => (b[1] > a[1] ? b : a));
      assert.deepEqual(bad.map(([n, e]) => `${n}: ${e.toExponential(2)}`), [], `worst ${worst[0]} ${worst[1].toExponential(2)}`);
      assert.ok(errs.length >= (name.endsWith('train') ? 68 : 28));
    });
  }
});

interface Arr { shape: number[]; data: number[] }
interface MetricFixture {
  spec: MetricHeadSpec; weights: Record<string, Arr>; features: Arr; G: Arr; embedding: Arr; loss: number;
  grads: Record<string, Arr>; running: Record<string, Arr>;
}

/** max|a−b| / max|b| over a whole tensor. */
function relErr(a: ArrayLike<number>, b: readonly number[]): number {
  let num = 0, den = 1e-30;
  b.forEach((v, i) => { num = Math.max(num, Math.abs(Number(a[i]) - v)); den = Math.max(den, Math.abs(v)); });
  return num / den;
}

describe('metric head: embedding and gradients vs PyTorch float64 (train-mode BN, L2 normalisation)', () => {
  it(`embedding, L = Σ e·G, every parameter and feature gradient and the running statistics within ${TOL}`, async () => {
    const fx = JSON.parse(fs.readFileSync('test/fixtures/nets/metric_head.json', 'utf8')) as MetricFixture;
    const g = new GraphBuilder('metric_check');
    const f = g.input('features', 'float32', fx.features.shape);
    const head = buildMetricHead(g, f, metricHeadSpec(fx.spec));
    assert.deepEqual(head.params.all.map((p) => p.name).sort(), Object.keys(fx.weights).sort());
    for (const [k, v] of Object.entries(fx.weights)) g.graph.initializers.set(k, tensor('float32', v.shape, v.data));
    const G = g.constant(tensor('float32', fx.G.shape, fx.G.data), 'G');
    const loss = g.op1('ReduceSum', [g.op1('Mul', [head.embedding, G])], { keepdims: 0 });
    const wrt = [...head.params.trainable, f];
    const grads = backward(g, loss, wrt);
    const fetch = [loss, head.embedding, ...wrt.map((w) => grads.get(w)!), ...head.bnUpdates.flatMap((u) => [u.newMean, u.newVar])];
    for (const x of fetch) g.output(x);
    const out = await runGraph(g.graph, { features: tensor('float32', fx.features.shape, fx.features.data) });
    const val = (n: string) => out[n]!.data as Float32Array;
    const errs: [string, number][] = [['loss', Math.abs(val(loss)[0]! - fx.loss) / Math.max(1, Math.abs(fx.loss))], ['embedding', relErr(val(head.embedding), fx.embedding.data)]];
    for (const p of head.params.trainable) errs.push([`d ${p}`, relErr(val(grads.get(p)!), fx.grads[p]!.data)]);
    errs.push(['d features', relErr(val(grads.get(f)!), fx.grads['__features']!.data)]);
    for (const u of head.bnUpdates) {
      errs.push([u.mean, relErr(val(u.newMean), fx.running[u.mean]!.data)]);
      errs.push([u.var, relErr(val(u.newVar), fx.running[u.var]!.data)]);
    }
    assert.deepEqual(errs.filter(([, e]) => !(e <= TOL)).map(([n, e]) => `${n}: ${e.toExponential(2)}`), []);
    assert.equal(errs.length, 2 + head.params.trainable.length + 1 + 2);
  });
});
