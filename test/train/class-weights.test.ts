/** Median frequency balancing on a hand-computed example. */
import assert from 'node:assert/strict';
import { classFrequencies, medianFrequencyWeights, pixelWeights } from '../../lib/data/class-weights.js';

describe('train/class weights (median frequency balancing)', () => {
  // image A: classes 0,0,0,1; image B: 0,2,2,void. f_0 = 4/7, f_1 = 1/4, f_2 = 2/3, class 3 unseen.
  const f = classFrequencies([Uint8Array.from([0, 0, 0, 1]), Uint8Array.from([0, 2, 2, 255])], 4);

  it('frequencies count only the images where a class appears', () => {
    [4 / 7, 1 / 4, 2 / 3, 0].forEach((v, c) => assert.ok(Math.abs(f[c]! - v) < 1e-12, `f_${c}`));
  });

  it('w_c = (median / f_c)^p; unseen classes get 1; ignored pixels weigh 0', () => {
    const w1 = medianFrequencyWeights(f, 1);
    [1, 16 / 7, 6 / 7, 1].forEach((v, c) => assert.ok(Math.abs(w1[c]! - v) < 1e-6, `w_${c} = ${w1[c]}`));
    const w5 = medianFrequencyWeights(f, 0.5);
    assert.ok(Math.abs(w5[1]! - Math.sqrt(16 / 7)) < 1e-6);
    assert.deepEqual([...medianFrequencyWeights(f, 0)], [1, 1, 1, 1]);
    assert.deepEqual([...pixelWeights(Uint8Array.from([1, 255, 3]), w1)].map((x) => +x.toFixed(4)), [+(16 / 7).toFixed(4), 0, 1]);
  });
});
