/**
 * Baseline weightings (lib/method/baselines): hand-computed small cases, and their
 * registration in the self-training weighting registry.
 */
import assert from 'node:assert/strict';
import { cbstThresholds, cbstWeights } from '../../lib/method/weighting/cbst.js';
import { dacsWeights } from '../../lib/method/weighting/dacs.js';
import { thresholdWeights } from '../../lib/method/weighting/threshold.js';
import { makeWeighting, weightingNames, type TeacherView } from '../../lib/method/weighting/index.js';
import { ConfigError } from '../../lib/config/schema.js';

const u8 = (a: number[]) => Uint8Array.from(a);
const f32 = (a: number[]) => Float32Array.from(a);
const near = (a: Float32Array | Float64Array, b: number[]) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-6, `[${i}] ${x} vs ${b[i]}`));
};

describe('baseline weightings', () => {
  describe('fixed threshold w = 1[q > τ]', () => {
    it('keeps pixels strictly above τ and drops unlabelled ones', () => {
      // q = 0.95 > 0.9 keep; 0.9 = τ drop (strict); 0.5 drop; 0.99 but ŷ = 255 drop
      near(thresholdWeights(u8([0, 1, 2, 255]), f32([0.95, 0.9, 0.5, 0.99]), 0.9), [1, 0, 0, 0]);
    });
    it('rejects mismatched lengths', () => {
      assert.throws(() => thresholdWeights(u8([0]), f32([0.1, 0.2]), 0.9), /1 labels but 2/);
    });
  });

  describe('CBST-style class-balanced thresholds', () => {
    // class 0: q = 0.9, 0.8, 0.7, 0.6, 0.5 (n = 5), class 1: 0.3, 0.2 (n = 2), class 2: absent
    const labels = u8([0, 0, 0, 0, 0, 1, 1, 255]);
    const conf = f32([0.7, 0.9, 0.5, 0.8, 0.6, 0.2, 0.3, 0.99]);
    it('τ_c = the ⌈p·n_c⌉-th largest confidence of class c', () => {
      // p = 0.4: class 0 k = ⌈2⌉ = 2 → τ0 = 0.8; class 1 k = ⌈0.8⌉ = 1 → τ1 = 0.3; class 2 NaN
      const t = cbstThresholds(labels, conf, 3, 0.4);
      assert.ok(Math.abs(t[0]! - 0.8) < 1e-6 && Math.abs(t[1]! - 0.3) < 1e-6 && Number.isNaN(t[2]!), `${[...t]}`);
      near(cbstWeights(labels, conf, 3, 0.4), [0, 1, 0, 1, 0, 0, 1, 0]);
    });
    it('a low-confidence class keeps its top fraction where a global threshold keeps nothing', () => {
      const w = cbstWeights(labels, conf, 3, 0.4);
      assert.equal(w[6], 1); // class 1's best pixel (q = 0.3) survives
      assert.equal(thresholdWeights(labels, conf, 0.5)[6], 0);
    });
    it('p = 1 keeps every labelled pixel; ties at τ_c are all kept', () => {
      near(cbstWeights(labels, conf, 3, 1), [1, 1, 1, 1, 1, 1, 1, 0]);
      // class 0 q = 0.5, 0.5, 0.1 with p = 0.34: k = ⌈1.02⌉ = 2 → τ = 0.5, both ties kept
      near(cbstWeights(u8([0, 0, 0]), f32([0.5, 0.1, 0.5]), 1, 0.34), [1, 0, 1]);
    });
    it('the cap τ_max lowers a class threshold', () => {
      // p = 0.2, class 0: k = 1 → τ0 = 0.9, capped at 0.65 → keeps 0.9, 0.8, 0.7
      near(cbstWeights(labels, conf, 3, 0.2, 0.65), [1, 1, 0, 1, 0, 0, 1, 0]);
    });
    it('rejects a pseudo-label outside the classes and a bad portion', () => {
      assert.throws(() => cbstWeights(u8([3]), f32([0.5]), 3, 0.2), /not a class/);
      assert.throws(() => cbstWeights(u8([0]), f32([0.5]), 3, 0), /portion/);
    });
  });

  describe('DACS-style per-image weight', () => {
    // image 0: 4 pixels, q = 0.99, 0.97, 0.5, (ŷ=255) → 2 of 3 valid above 0.968 → 2/3
    // image 1: q = 0.1, 0.2, 0.999, 0.3 → 1 of 4 → 1/4
    const labels = u8([1, 2, 3, 255, 0, 0, 1, 1]);
    const conf = f32([0.99, 0.97, 0.5, 0.99, 0.1, 0.2, 0.999, 0.3]);
    it('one weight per image = fraction of its labelled pixels with q > τ', () => {
      near(dacsWeights(labels, conf, 2, 0.968), [2 / 3, 2 / 3, 2 / 3, 0, 0.25, 0.25, 0.25, 0.25]);
    });
    it("scope 'batch' pools the fraction over the batch", () => {
      // 3 of 7 valid pixels above τ
      near(dacsWeights(labels, conf, 2, 0.968, 'batch'), [3 / 7, 3 / 7, 3 / 7, 0, 3 / 7, 3 / 7, 3 / 7, 3 / 7]);
    });
    it('an image without labelled pixels gets 0', () => {
      near(dacsWeights(u8([255, 255, 0, 0]), f32([1, 1, 1, 0]), 2, 0.5), [0, 0, 0.5, 0.5]);
    });
  });

  describe('registry', () => {
    const view: TeacherView = { n: 2, height: 2, width: 2, numClasses: 4, labels: u8([1, 2, 3, 255, 0, 0, 1, 1]), confidence: f32([0.99, 0.97, 0.5, 0.99, 0.1, 0.2, 0.999, 0.3]) };
    it('registers threshold, cbst and dacs with their default parameters', () => {
      for (const n of ['threshold', 'cbst', 'dacs']) assert.ok(weightingNames().includes(n), n);
      near(makeWeighting('threshold', {}).fn(view), [1, 1, 0, 0, 0, 0, 1, 0]);
      near(makeWeighting('dacs', {}).fn(view), dacsWeights(view.labels, view.confidence, 2, 0.968) as unknown as number[]);
      near(makeWeighting('cbst', { portion: 1 }).fn(view), [1, 1, 1, 0, 1, 1, 1, 1]);
    });
    it('validates parameters with the weighting schema (errors name the field)', () => {
      assert.throws(() => makeWeighting('threshold', { tau: 2 }), (e: unknown) => e instanceof ConfigError && /weighting\.params\.tau/.test((e as Error).message));
      assert.throws(() => makeWeighting('dacs', { scope: 'pixel' }), ConfigError);
    });
  });
});
