import assert from 'node:assert/strict';
import fs from 'node:fs';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { proxyAnchorLoss } from '../../lib/method/stvm/proxy-anchor.js';
import { reliability } from '../../lib/method/stvm/reliability.js';
import { emaDecay, emaDecaySpan, emaUpdate } from '../../lib/method/stvm/ema.js';
import { chooseClasses, classReliability, maskOfClasses } from '../../lib/method/stvm/mocm.js';
import { stvmConfig } from '../../lib/method/stvm/config.js';
import { ConfigError } from '../../lib/config/schema.js';
import { relErr } from '../helpers/op-fixture.js';

interface Arr { shape: number[]; data: number[] }
const load = (n: string) => JSON.parse(fs.readFileSync(`test/fixtures/method/${n}.json`, 'utf8'));

describe('STvM pieces', () => {
  describe('Proxy-Anchor loss vs pytorch-metric-learning (float64)', () => {
    const fx = load('proxy_anchor') as { emb: Arr; proxies: Arr; onehot: Arr; valid: Arr; cases: { alpha: number; delta: number; loss: number; grad_emb: Arr; grad_proxies: Arr }[] };
    for (const c of fx.cases) {
      it(`α=${c.alpha}, δ=${c.delta}: loss and gradients w.r.t. embeddings and proxies`, async () => {
        const g = new GraphBuilder('pa');
        const e = g.input('E', 'float32', fx.emb.shape);
        const p = g.input('P', 'float32', fx.proxies.shape);
        const y = g.initializer('Y', tensor('float32', fx.onehot.shape, fx.onehot.data));
        const v = g.initializer('V', tensor('float32', fx.valid.shape, fx.valid.data));
        // the metric head L2-normalises its output in-graph; pytorch-metric-learning normalises
        // inside the loss: both put the normalisation's Jacobian into dL/dE
        const norm = g.op1('Sqrt', [g.op1('ReduceSumSquare', [e], { axes: [1], keepdims: 1 })]);
        const { loss } = proxyAnchorLoss(g, g.op1('Div', [e, norm]), p, y, v, c.alpha, c.delta);
        const grads = backward(g, loss, [e, p]);
        g.output(loss);
        g.output(grads.get(e)!);
        g.output(grads.get(p)!);
        const out = await runGraph(g.graph, { E: tensor('float32', fx.emb.shape, fx.emb.data), P: tensor('float32', fx.proxies.shape, fx.proxies.data) });
        assert.ok(Math.abs(Number(out[loss]!.data[0]) - c.loss) / Math.abs(c.loss) < 1e-4, `loss ${out[loss]!.data[0]} vs ${c.loss}`);
        const ge = relErr(out[grads.get(e)!]!.data as Float32Array, c.grad_emb.data);
        const gp = relErr(out[grads.get(p)!]!.data as Float32Array, c.grad_proxies.data);
        assert.ok(ge < 1e-4, `dL/dE relative error ${ge}`);
        assert.ok(gp < 1e-4, `dL/dP relative error ${gp}`);
      });
    }
  });

  describe('reliability', () => {
    const fx = load('reliability') as { sim: Arr; labels: number[]; beta: number; expected: Record<string, number[]> };
    for (const variant of ['proxy-posterior', 'clipped-cosine', 'hard-agreement'] as const) {
      it(`${variant} matches torch`, () => {
        const r = reliability(Float32Array.from(fx.sim.data), Uint8Array.from(fx.labels), fx.sim.shape[1]!, variant, fx.beta);
        assert.ok(relErr(r, fx.expected[variant]!) < 1e-5);
        assert.equal(r[3], 0, 'an unlabelled location (255) has reliability 0');
      });
    }
    it('rejects a pseudo-label that is not a class', () => {
      assert.throws(() => reliability(new Float32Array(4), Uint8Array.from([0, 7]), 2, 'clipped-cosine', 1), /pseudo-label 7/);
    });
  });

  describe('EMA arithmetic', () => {
    it('ramps α_t = min(1 − 1/(t+1), max) and updates element-wise', () => {
      assert.equal(emaDecay(0, 0.99), 0);
      assert.equal(emaDecay(1, 0.99), 0.5);
      assert.equal(emaDecay(1000, 0.99), 0.99);
      const t = Float32Array.from([1, 2, 3]);
      emaUpdate(t, Float32Array.from([3, 2, 1]), 0.75);
      assert.deepEqual(Array.from(t), [1.5, 2, 2.5]);
    });
    it('a sync every k steps compounds the k single-step decays', () => {
      assert.ok(Math.abs(emaDecaySpan(500, 4, 0.99) - 0.99 ** 4) < 1e-12);
      // k single updates with the same student weights equal one update with the span decay
      const a = Float32Array.from([1, -2]);
      const b = Float32Array.from([1, -2]);
      const s = Float32Array.from([5, 7]);
      for (let t = 3; t <= 6; t++) emaUpdate(a, s, emaDecay(t, 0.99));
      emaUpdate(b, s, emaDecaySpan(6, 4, 0.99));
      assert.ok(Math.abs(a[0]! - b[0]!) < 1e-5 && Math.abs(a[1]! - b[1]!) < 1e-5);
    });
  });

  describe('MOCM class choice', () => {
    const labels = Uint8Array.from([0, 0, 1, 1, 2, 2, 3, 255, 4, 4]);
    const rel = Float32Array.from([0.9, 0.7, 0.1, 0.1, 0.5, 0.5, 0, 0.3, 1, 1]);
    let s = 1;
    const rng = { next: () => ((s = (s * 16807) % 2147483647) / 2147483647) };
    it('computes per-class mean reliability over present classes', () => {
      const r = classReliability(labels, rel, 6);
      assert.deepEqual(r.present, [0, 1, 2, 3, 4]);
      assert.ok(Math.abs(r.mean[0]! - 0.8) < 1e-6 && Math.abs(r.mean[3]!) < 1e-9);
    });
    it('chooses ⌈n/2⌉ distinct present classes, never a zero-reliability class while others remain', () => {
      for (let trial = 0; trial < 200; trial++) {
        const { chosen } = chooseClasses(labels, rel, 6, 'reliability', rng);
        assert.equal(chosen.length, 3);
        assert.equal(new Set(chosen).size, 3);
        assert.ok(!chosen.includes(3), 'class 3 has R_c = 0');
        assert.ok(chosen.every((c) => c <= 4));
      }
    });
    it('draws ∝ R_c: high-reliability classes are chosen more often than low ones', () => {
      const count = new Array(6).fill(0);
      for (let trial = 0; trial < 2000; trial++) for (const c of chooseClasses(labels, rel, 6, 'reliability', rng).chosen) count[c]++;
      assert.ok(count[4] > count[1] * 2, `counts ${count}`);
    });
    it('random selection ignores reliability', () => {
      const count = new Array(6).fill(0);
      for (let trial = 0; trial < 2000; trial++) for (const c of chooseClasses(labels, rel, 6, 'random', rng).chosen) count[c]++;
      assert.ok(count[3] > 800 && count[3] < 1600, `counts ${count}`);
    });
    it('the mask marks exactly the chosen classes', () => {
      assert.deepEqual(Array.from(maskOfClasses(labels, [0, 4])), [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
    });
  });

  describe('config', () => {
    it('fills defaults and names unknown or ill-typed fields', () => {
      const c = stvmConfig({ metric: { alpha: 16 } });
      assert.equal(c.metric.alpha, 16);
      assert.equal(c.metric.delta, 0.1);
      assert.throws(() => stvmConfig({ metric: { alpah: 1 } }), (e: unknown) => e instanceof ConfigError && /metric\.alpah/.test(e.message));
      assert.throws(() => stvmConfig({ reliability: { variant: 'soft' } }), /reliability\.variant/);
      assert.throws(() => stvmConfig({ student: { lr: '0.1' } }), /student\.lr/);
    });
  });
});
