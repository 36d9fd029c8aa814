/**
 * Mixing by a mask (lib/data/transforms/mix.ts) with ClassMix masks (lib/method/stvm/mocm.ts):
 * images (HWC uint8 and CHW float), labels and weight maps mixed by ONE mask stay consistent
 * (the mixed image is still pal(mixed label), the mixed weight still label/10).
 */
import assert from 'node:assert/strict';
import { mixWithMask, toCHW, type LabelU8, type WeightF32 } from '../../lib/data/transforms/index.js';
import { maskOfClasses } from '../../lib/method/stvm/mocm.js';
import { pal, syntheticSample } from './synthetic-sample.js';

describe('mixing by a ClassMix mask', () => {
  const A = syntheticSample(11, 40, 30, 5), B = syntheticSample(12, 40, 30, 5);

  it('image, label and weight mixed by one mask stay consistent; mask 1 takes A, mask 0 takes B', () => {
    const S = [...new Set(A.label!.data)].filter((c) => c !== 255).sort((x, y) => x - y).filter((_, i) => i % 2 === 0);
    const m = maskOfClasses(A.label!.data, S);
    const mixed = { image: mixWithMask(m, A.image, B.image), label: mixWithMask(m, A.label!, B.label!), weight: mixWithMask(m, A.weight!, B.weight!) };
    const n = 40 * 30;
    let fromA = 0;
    for (let i = 0; i < n; i++) {
      const src = m[i] ? A : B;
      const c = mixed.label!.data[i]!;
      assert.equal(c, src.label!.data[i]);
      assert.deepEqual(Array.from(mixed.image.data.subarray(3 * i, 3 * i + 3)), pal(c), `pixel ${i}: image follows the mixed label`);
      assert.equal(mixed.weight!.data[i], src.weight!.data[i]);
      if (m[i]) { fromA++; assert.ok(S.includes(c), 'pasted pixels carry a chosen class'); }
    }
    assert.ok(fromA > 0 && fromA < n);
    // CHW float images mix plane by plane with the same mask.
    const ca = toCHW(A.image), cb = toCHW(B.image), cm = mixWithMask(m, ca, cb), ref = toCHW(mixed.image);
    assert.deepEqual(cm.data, ref.data);
    assert.equal(cm.channels, 3);
  });

  it('mixing is the identity with an all-ones mask and returns B with all zeros; shapes must match', () => {
    const ones = new Uint8Array(1200).fill(1), zeros = new Uint8Array(1200);
    assert.deepEqual(mixWithMask(ones, A.image, B.image).data, A.image.data);
    assert.deepEqual(mixWithMask(zeros, A.label!, B.label!).data, B.label!.data);
    assert.deepEqual(mixWithMask(zeros, A.weight!, B.weight!).data, B.weight!.data);
    const small: LabelU8 = { width: 4, height: 3, data: new Uint8Array(12) };
    assert.throws(() => mixWithMask(ones, A.label!, small), /sizes differ/);
    const w: WeightF32 = { width: 40, height: 30, data: new Float32Array(1200) };
    assert.throws(() => mixWithMask(ones, A.label! as unknown as WeightF32, w), /different element types/);
    assert.throws(() => mixWithMask(new Uint8Array(5), A.label!, B.label!), /mask has 5 pixels/);
  });
});
