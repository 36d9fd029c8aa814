import assert from 'node:assert/strict';
import { gapClosed, meanPerClass, meanStd } from '../../lib/analysis/aggregate.js';

describe('analysis: aggregation over seeds', () => {
  it('mean and sample std (n − 1): {2, 4, 9} → 5, √13', () => {
    // mean 5; squared deviations 9 + 1 + 16 = 26; /2 = 13
    const r = meanStd([2, 4, 9]);
    assert.equal(r.mean, 5);
    assert.ok(Math.abs(r.std! - Math.sqrt(13)) < 1e-12);
    assert.deepEqual(meanStd([0.3]), { mean: 0.3, std: null });
    assert.throws(() => meanStd([]));
  });
  it('gap closed = (m − s)/(o − s); null without a positive gap', () => {
    assert.equal(gapClosed(0.5, 0.4, 0.8), (0.5 - 0.4) / (0.8 - 0.4));
    assert.ok(Math.abs(gapClosed(0.3, 0.4, 0.8)! + 0.25) < 1e-12);
    assert.equal(gapClosed(0.5, 0.4, 0.4), null);
  });
  it('per-class means skip undefined classes', () => {
    assert.deepEqual(meanPerClass([{ a: 0.2, b: null }, { a: 0.4, b: 0.6 }]), { a: 0.30000000000000004, b: 0.6 });
    assert.deepEqual(meanPerClass([{ a: null }]), { a: null });
  });
});
