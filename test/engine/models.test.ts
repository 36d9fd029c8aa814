/**
 * Whole-network gradient check: the small DeepLab (ResNet-18-like, widths 16–128, output
 * stride 8, ASPP, bilinear upsampling) at 2×3×64×64 with the weighted cross-entropy (ignore
 * 255), in both BN modes, against PyTorch float64 autograd on the same weights and batch
 * (fixtures test/fixtures/nets/small_{frozen,train}.json, tools/pytorch/net_fixtures.py).
 * Each tensor is compared through its summary (net-case.ts: norm, sum, 64 seeded values) within
 * 1e-4 relative: the loss, logits, encoder features, every trainable parameter's gradient and,
 * in train mode, the updated BN running statistics.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { softmaxCrossEntropy } from '../../lib/engine/losses/cross-entropy.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { buildCase, netCase, summary, summaryError, type Summary } from '../fixtures/nets/net-case.js';

interface NetFixture {
  case: string; spec: unknown; batch: number[]; param_sums: Record<string, number>;
  loss: number; logits: Summary; features: Summary; grads: Record<string, Summary>; running: Record<string, Summary>;
}

const TOL = 1e-4;
const names = ['small_frozen', 'small_train'];

describe('whole network: small DeepLab loss and every parameter gradient vs PyTorch float64', () => {
  for (const name of names) {
    it(`${name}: loss, logits, features, ${name.endsWith('train') ? 'running stats, ' : ''}all gradients within ${TOL} relative`, async () => {
      const fx = JSON.parse(fs.readFileSync(`test/fixtures/nets/${name}.json`, 'utf8')) as NetFixture;
      const c = netCase(name);
      assert.deepEqual(c.spec, fx.spec, 'the case changed since the fixture was written: rerun tools/pytorch/net_fixtures.py');
      const { g, model, batch } = buildCase(c);
      for (const p of model.params.all) {
        const d = g.graph.initializers.get(p.name)!.data as Float32Array;
        let s = 0;
        for (const v of d) s += v;
        assert.ok(Math.abs(s - fx.param_sums[p.name]!) <= 1e-6 * Math.max(1, Math.abs(fx.param_sums[p.name]!)) + 1e-3, `${p.name}: initial weights differ from the fixture's (sum ${s} vs ${fx.param_sums[p.name]})`);
      }
      const labels = g.input('labels', 'int64', batch.labels.shape);
      const weights = g.input('weights', 'float32', batch.weights.shape);
      const ce = softmaxCrossEntropy(g, model.logitsFull!, labels, { weights });
      const grads = backward(g, model.logitsFull!, model.params.trainable, { seed: ce.dLogits });
      const fetch = [ce.loss, model.logits, model.features];
      for (const p of model.params.trainable) {
        const gn = grads.get(p);
        assert.ok(gn !== undefined, `no gradient for ${p}`);
        fetch.push(gn);
      }
      for (const u of model.bnUpdates) fetch.push(u.newMean, u.newVar);
      for (const f of fetch) g.output(f);
      const out = await runGraph(g.graph, { image: batch.image, labels: batch.labels, weights: batch.weights });
      const val = (n: string) => out[n]!.data as Float32Array;

      const loss = val(ce.loss)[0]!;
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
