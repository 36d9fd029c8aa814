/**
 * AUROC and split histograms (lib/analysis) against numpy brute-force references
 * (tools/analysis/auroc_fixture.py → test/fixtures/analysis/auroc.json) and hand cases.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { auroc, pseudoLabelCorrectness } from '../../lib/analysis/auroc.js';
import { addHistograms, splitHistogram } from '../../lib/analysis/histogram.js';

interface Case { name: string; score: number[]; positive: number[]; include: number[]; auroc: number | null; hist: { bins: number; lo: number; hi: number; positive: number[]; negative: number[]; edges: number[] } }
const fx = JSON.parse(fs.readFileSync('test/fixtures/analysis/auroc.json', 'utf8')) as { cases: Case[] };

describe('analysis: AUROC and histograms', () => {
  describe('AUROC vs numpy pairwise brute force', () => {
    for (const c of fx.cases) {
      it(c.name, () => {
        const r = auroc(Float64Array.from(c.score), Uint8Array.from(c.positive), Uint8Array.from(c.include));
        assert.ok(c.auroc !== null);
        assert.ok(Math.abs(r.auroc - c.auroc) < 1e-12, `${r.auroc} vs ${c.auroc}`);
        const inc = c.include.reduce((a, x) => a + x, 0);
        assert.equal(r.positives + r.negatives, inc);
      });
    }
  });

  describe('AUROC hand cases', () => {
    it('perfect separation 1, reversed 0, all tied ½', () => {
      assert.equal(auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]).auroc, 1);
      assert.equal(auroc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]).auroc, 0);
      assert.equal(auroc([0.5, 0.5, 0.5], [1, 0, 1]).auroc, 0.5);
    });
    it('ties count one half: pos {0.5, 0.9}, neg {0.5, 0.1} → (1.5 + 2)/4', () => {
      assert.equal(auroc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0]).auroc, 3.5 / 4);
    });
    it('excluded pixels do not count; an empty group gives NaN', () => {
      assert.equal(auroc([0.9, 0.1, 0.95], [1, 0, 0], [1, 1, 0]).auroc, 1);
      assert.ok(Number.isNaN(auroc([0.9, 0.8], [1, 1]).auroc));
      assert.throws(() => auroc([NaN, 1], [1, 0]), /NaN/);
    });
  });

  it('pseudo-label correctness skips void ground truth', () => {
    const r = pseudoLabelCorrectness(Uint8Array.from([1, 2, 3, 4]), Uint8Array.from([1, 0, 255, 4]));
    assert.deepEqual([...r.positive], [1, 0, 0, 1]);
    assert.deepEqual([...r.include], [1, 1, 0, 1]);
  });

  describe('split histogram vs numpy bincount', () => {
    for (const c of fx.cases) {
      it(c.name, () => {
        const h = splitHistogram(c.score, c.positive, c.include, c.hist.bins, c.hist.lo, c.hist.hi);
        assert.deepEqual(h.positive, c.hist.positive);
        assert.deepEqual(h.negative, c.hist.negative);
        h.edges.forEach((e, i) => assert.ok(Math.abs(e - c.hist.edges[i]!) < 1e-12));
      });
    }
    it('clamps out-of-range values and adds', () => {
      const h = splitHistogram([-1, 0, 0.5, 1, 2], [1, 1, 0, 0, 1], undefined, 2);
      assert.deepEqual(h.positive, [2, 1]);
      assert.deepEqual(h.negative, [0, 2]);
      assert.deepEqual(addHistograms(h, h).positive, [4, 2]);
    });
  });
});
