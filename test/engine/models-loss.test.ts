/**
 * The segmentation loss (lib/engine/losses/cross-entropy.ts) against PyTorch float64:
 * (F.cross_entropy(reduction='none', ignore_index=255) · w).sum() / (w·valid).sum() and its
 * gradient (fixture test/fixtures/nets/ce_loss.json, tools/pytorch/net_fixtures.py).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { softmaxCrossEntropy } from '../../lib/engine/losses/cross-entropy.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

interface Arr { shape: number[]; data: number[] }
interface CeCase { name: string; logits: Arr; labels: Arr; weights: Arr | null; loss: number; grad: number[] }

const fx = JSON.parse(fs.readFileSync('test/fixtures/nets/ce_loss.json', 'utf8')) as { cases: CeCase[] };

function maxRel(a: ArrayLike<number>, b: readonly number[]): number {
  let num = 0, den = 1e-12;
  b.forEach((v, i) => { num = Math.max(num, Math.abs(Number(a[i]) - v)); den = Math.max(den, Math.abs(v)); });
  return num / den;
}

describe('softmax cross-entropy with ignore 255 and pixel weights (PyTorch float64 reference)', () => {
  for (const c of fx.cases) {
    it(`${c.name}: loss and dL/dlogits match PyTorch within 1e-5 relative`, async () => {
      const g = new GraphBuilder(`ce_${c.name}`);
      const z = g.input('z', 'float32', c.logits.shape);
      const y = g.input('y', 'int64', c.labels.shape);
      const feeds: Record<string, ReturnType<typeof tensor>> = {
        z: tensor('float32', c.logits.shape, c.logits.data), y: tensor('int64', c.labels.shape, c.labels.data),
      };
      let w: string | undefined;
      if (c.weights) {
        w = g.input('w', 'float32', c.weights.shape);
        feeds['w'] = tensor('float32', c.weights.shape, c.weights.data);
      }
      const r = softmaxCrossEntropy(g, z, y, w === undefined ? {} : { weights: w });
      g.output(r.loss);
      g.output(r.dLogits);
      const out = await runGraph(g.graph, feeds);
      const loss = Number(out[r.loss]!.data[0]);
      assert.ok(Math.abs(loss - c.loss) <= 1e-5 * Math.abs(c.loss), `loss ${loss} vs PyTorch ${c.loss}`);
      const dz = out[r.dLogits]!.data as Float32Array;
      const e = maxRel(dz, c.grad);
      assert.ok(e <= 1e-5, `dL/dz relative error ${e.toExponential(2)}`);
      // ignored pixels get exactly zero gradient
      const [n, ch, h, wd] = c.logits.shape as [number, number, number, number];
      c.labels.data.forEach((lab, i) => {
        if (lab !== 255) return;
        const b = Math.floor(i / (h * wd)), p = i % (h * wd);
        for (let k = 0; k < ch; k++) assert.equal(dz[(b * ch + k) * h * wd + p], 0);
      });
      assert.ok(n > 0);
    });
  }

  it('rejects labels of the wrong shape, naming them', () => {
    const g = new GraphBuilder('ce_bad');
    const z = g.input('z', 'float32', [1, 3, 2, 2]);
    const y = g.input('y', 'int64', [1, 2, 3]);
    assert.throws(() => softmaxCrossEntropy(g, z, y), /labels 'y' must be \[1,2,2\]/);
  });
});
