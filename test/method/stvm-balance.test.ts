/**
 * The issue-13 options of the STvM loop: confident-location metric targets (ρ), the reliability
 * at full resolution and β tied to α, class balance (source weights, running pseudo-label
 * frequency), MOCM's 'rare-reliable' class choice, the 'mean-reliability' ablation weighting,
 * and exact resume with the running frequency in the state.
 */
import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/config/schema.js';
import { Rng } from '../../lib/data/rng.js';
import { applyClassWeights, classWeightTable, updateFrequency } from '../../lib/method/stvm/class-balance.js';
import { stvmConfig } from '../../lib/method/stvm/config.js';
import { metricTargets } from '../../lib/method/stvm/maps.js';
import { chooseClasses } from '../../lib/method/stvm/mocm.js';
import { posteriorBeta, reliability, reliabilityMap } from '../../lib/method/stvm/reliability.js';
import { makeWeighting } from '../../lib/method/weighting/index.js';
import { sourceClassWeights } from '../../lib/model/source-class-weights.js';
import { tinyAlgorithm, tinyConfig } from './stvm-helpers.js';

/** Bilinear sample of map [h,w] at (y, x) in input coordinates, written out (independent of maps.ts). */
function bilinearAt(map: Float32Array, h: number, w: number, y: number, x: number): number {
  const y0 = Math.floor(y), x0 = Math.floor(x);
  const y1 = Math.min(y0 + 1, h - 1), x1 = Math.min(x0 + 1, w - 1);
  const fy = y - y0, fx = x - x0;
  const v = (yy: number, xx: number) => map[yy * w + xx]!;
  return (1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x1)) + fy * ((1 - fx) * v(y1, x0) + fx * v(y1, x1));
}

describe('STvM: confident metric targets, full-resolution reliability, class balance', function () {
  this.timeout(120000);

  it('metricTargets with ρ < 1 keeps, per class, the ⌈ρ·n_c⌉ most confident locations; ρ = 1 equals no selection', () => {
    //                 class: 0  0    0    1    1    255  2
    const labels = Uint8Array.from([0, 0, 0, 1, 1, 255, 2]);
    const q = Float32Array.from([0.9, 0.2, 0.5, 0.3, 0.8, 0.99, 0.1]);
    const half = metricTargets(labels, 3, 100, new Rng(1), { q, fraction: 0.5 });
    // class 0: ⌈1.5⌉ = 2 of {0.9, 0.2, 0.5} → locations 0, 2; class 1: ⌈1⌉ → location 4; class 2: ⌈0.5⌉ = 1 → 6
    assert.deepEqual([...half.valid], [1, 0, 1, 0, 1, 0, 1]);
    assert.equal(half.used, 4);
    assert.deepEqual([...half.onehot.subarray(0, 3)], [1, 0, 0]);
    const all = metricTargets(labels, 3, 100, new Rng(1));
    const one = metricTargets(labels, 3, 100, new Rng(1), { q, fraction: 1 });
    assert.deepEqual([...one.valid], [...all.valid]);
    assert.deepEqual([...all.valid], [1, 1, 1, 1, 1, 0, 1]);
    // the cap still applies after the selection
    const capped = metricTargets(labels, 3, 2, new Rng(3), { q, fraction: 0.5 });
    assert.equal(capped.used, 2);
    for (let i = 0; i < 7; i++) if (capped.valid[i]) assert.equal(half.valid[i], 1, `location ${i} was not a confident candidate`);
    assert.throws(() => metricTargets(labels, 3, 10, new Rng(1), { q: new Float32Array(3), fraction: 0.5 }), /3 confidences for 7 locations/);
  });

  it("reliabilityMap 'feature' is the upsampled feature-grid posterior; 'full' is the posterior of the upsampled similarities for the full-resolution label", () => {
    const n = 1, h = 3, w = 4, H = 7, W = 10, C = 3, beta = 5;
    const r = new Rng(9);
    const sim = Float32Array.from({ length: n * h * w * C }, () => r.range(-1, 1));
    const labelsFeat = Uint8Array.from({ length: n * h * w }, () => r.int(C));
    const labels = Uint8Array.from({ length: n * H * W }, (_, i) => (i === 5 ? 255 : r.int(C)));
    const input = { sim, labelsFeat, labels, n, numClasses: C, featureSize: [h, w] as const, crop: [H, W] as const };
    const feat = reliabilityMap(input, 'proxy-posterior', beta, 'feature');
    assert.deepEqual([...feat.relFeat], [...reliability(sim, labelsFeat, C, 'proxy-posterior', beta)]);
    const full = reliabilityMap(input, 'proxy-posterior', beta, 'full');
    assert.equal(full.rel.length, H * W);
    assert.equal(full.rel[5], 0, 'no label → r = 0');
    for (let Y = 0; Y < H; Y++) for (let X = 0; X < W; X++) {
      const i = Y * W + X;
      if (labels[i] === 255) continue;
      const y = (Y * (h - 1)) / (H - 1), x = (X * (w - 1)) / (W - 1);
      const s = Array.from({ length: C }, (_, k) => bilinearAt(Float32Array.from({ length: h * w }, (_, j) => sim[j * C + k]!), h, w, y, x));
      const z = s.reduce((a, v) => a + Math.exp(beta * v), 0);
      const want = Math.exp(beta * s[labels[i]!]!) / z;
      assert.ok(Math.abs(full.rel[i]! - want) < 1e-5, `pixel (${Y},${X}): ${full.rel[i]} vs ${want}`);
      // 'feature' at the same pixel interpolates the feature-grid posteriors instead
      const wantFeat = bilinearAt(feat.relFeat, h, w, y, x);
      assert.ok(Math.abs(feat.rel[i]! - wantFeat) < 1e-5);
    }
  });

  it('β = 0 is tied to α; a set β is kept', () => {
    assert.equal(posteriorBeta(stvmConfig({ metric: { alpha: 2 } })), 2);
    assert.equal(posteriorBeta(stvmConfig({})), 32);
    assert.equal(posteriorBeta(stvmConfig({ metric: { alpha: 2 }, reliability: { beta: 16 } })), 16);
  });

  it('running class frequency, the class weight table and the sum-preserving application', () => {
    const f0 = updateFrequency(undefined, Uint8Array.from([0, 0, 0, 1, 255]), 3, 0.9);
    assert.deepEqual([...f0], [0.75, 0.25, 0]);
    const f1 = updateFrequency(f0, Uint8Array.from([2, 2]), 3, 0.9);
    assert.ok(Math.abs(f1[0]! - 0.675) < 1e-12 && Math.abs(f1[1]! - 0.225) < 1e-12 && Math.abs(f1[2]! - 0.1) < 1e-12);
    const cfg = stvmConfig({ classBalance: { pseudoLabel: true, power: 1, maxWeight: 3 } }).classBalance;
    // median of the seen frequencies {0.675, 0.225, 0.1} = 0.225 → weights 1/3, 1, 2.25
    const t = classWeightTable(cfg, 3, undefined, f1);
    assert.ok(Math.abs(t[0]! - 1 / 3) < 1e-6 && Math.abs(t[1]! - 1) < 1e-6 && Math.abs(t[2]! - 2.25) < 1e-6);
    const both = classWeightTable({ ...cfg, sourceWeights: true }, 3, Float32Array.from([1, 4, 2]), f1);
    assert.ok(Math.abs(both[1]! - 3) < 1e-6 && Math.abs(both[2]! - 3) < 1e-6, 'product clipped to maxWeight');
    assert.deepEqual([...classWeightTable({ ...cfg, pseudoLabel: false }, 3, undefined, f1)], [1, 1, 1]);
    const w = Float32Array.from([0.5, 0.5, 1, 0.7]);
    const y = Uint8Array.from([0, 2, 1, 255]);
    const out = applyClassWeights(w, y, Float32Array.from([1, 1, 4]));
    assert.equal(out[3], 0);
    assert.ok(Math.abs(out[0]! + out[1]! + out[2]! - 2) < 1e-6, 'Σ w over labelled pixels is kept');
    assert.ok(Math.abs(out[1]! / out[0]! - 4) < 1e-6 && Math.abs(out[2]! / out[0]! - 2) < 1e-6);
  });

  it("MOCM 'rare-reliable' draws ∝ R_c·(1 − f_c); without a frequency it is an error", () => {
    const labels = Uint8Array.from([0, 0, 1, 1]);
    const rel = Float32Array.from([0.8, 0.8, 0.8, 0.8]);
    const freq = Float64Array.from([0.9, 0.1]);
    // weights 0.08 and 0.72: u·total = 0.5·0.8 = 0.4 falls in class 1; under 'reliability' (0.8, 0.8) it falls in class 0
    assert.deepEqual(chooseClasses(labels, rel, 2, 'rare-reliable', { next: () => 0.5 }, freq).chosen, [1]);
    assert.deepEqual(chooseClasses(labels, rel, 2, 'reliability', { next: () => 0.4 }).chosen, [0]);
    assert.deepEqual(chooseClasses(labels, rel, 2, 'rare-reliable', { next: () => 0.09 }, freq).chosen, [0]);
    assert.throws(() => chooseClasses(labels, rel, 2, 'rare-reliable', { next: () => 0.5 }), /needs the running class frequency/);
  });

  it("weighting 'mean-reliability' gives every labelled pixel the batch's mean r", () => {
    const { fn } = makeWeighting('mean-reliability', {});
    const w = fn({ n: 1, height: 1, width: 4, numClasses: 2, labels: Uint8Array.from([0, 1, 255, 1]), confidence: new Float32Array(4), reliability: Float32Array.from([0.2, 0.4, 0.9, 0.6]) });
    assert.deepEqual([...w].map((v) => +v.toFixed(6)), [0.4, 0.4, 0, 0.4]);
  });

  it('the source class weights are read back through the adaptation chain; a malformed entry is an error', () => {
    assert.deepEqual([...sourceClassWeights({ adaptedBy: 'adabn', from: { classWeights: [1, 2] } }, 2)!], [1, 2]);
    assert.equal(sourceClassWeights({ trainedOn: 'x' }, 2), undefined);
    assert.equal(sourceClassWeights(undefined, 2), undefined);
    assert.throws(() => sourceClassWeights({ classWeights: [1, -2] }, 2), /2 positive numbers/);
  });

  it('classBalance.sourceWeights without class weights in the model is a config error naming the field', async () => {
    await assert.rejects(tinyAlgorithm(tinyConfig({ classBalance: { sourceWeights: true } })), (e: unknown) => e instanceof ConfigError && /stvm\.classBalance\.sourceWeights/.test((e as Error).message));
  });

  it('exact resume with ρ < 1, full-resolution r, class balance and rare-reliable MOCM (the running frequency is saved)', async () => {
    const cfg = tinyConfig({
      metric: { hidden: 16, dim: 8, warmupIters: 1, maxLocations: 20, confidentFraction: 0.5 },
      reliability: { resolution: 'full' }, mocm: { selection: 'rare-reliable' },
      classBalance: { pseudoLabel: true, sourceWeights: true },
    });
    const cw = Float32Array.from([1, 2, 0.5, 1, 3]);
    const ref = await tinyAlgorithm(cfg, { classWeights: cw });
    const straight: Record<string, number>[] = [];
    try {
      for (let t = 0; t < 5; t++) straight.push(await ref.step(t));
    } finally {
      await ref.close();
    }
    const a = await tinyAlgorithm(cfg, { classWeights: cw });
    let saved;
    try {
      for (let t = 0; t < 3; t++) await a.step(t);
      saved = await a.saveState();
    } finally {
      await a.close();
    }
    assert.ok(Array.isArray((saved.json as { classFrequency?: number[] }).classFrequency), 'the running frequency is part of the state');
    const b = await tinyAlgorithm(cfg, { classWeights: cw });
    try {
      await b.loadState(saved);
      for (let t = 3; t < 5; t++) {
        const m = await b.step(t);
        for (const k of ['student_loss', 'metric_loss', 'mean_reliability', 'mean_weight', 'mixed_fraction']) {
          assert.equal(m[k], straight[t]![k], `iteration ${t}: ${k} ${m[k]} vs uninterrupted ${straight[t]![k]}`);
        }
      }
    } finally {
      await b.close();
    }
    // the options change the run (the test would pass vacuously if they were ignored)
    const plain = await tinyAlgorithm(tinyConfig({ metric: { hidden: 16, dim: 8, warmupIters: 1, maxLocations: 20 } }));
    try {
      const p = [];
      for (let t = 0; t < 3; t++) p.push(await plain.step(t));
      assert.notEqual(p[2]!['student_loss'], straight[2]!['student_loss']);
    } finally {
      await plain.close();
    }
  });
});
