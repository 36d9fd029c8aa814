/**
 * ClassMix utilities: the mask is exactly the pixels of A in the chosen classes; images (HWC
 * uint8 and CHW float), labels and weight maps mixed by ONE mask stay consistent (the mixed
 * image is still pal(mixed label), the mixed weight still label/10); class picking draws ⌈n/2⌉
 * distinct present classes, uniformly or ∝ weights, reproducibly.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../lib/data/rng.js';
import {
  classMixMask, mixSample, mixWithMask, pickMixClasses, presentClasses, toCHW,
  type LabelU8, type WeightF32,
} from '../../lib/data/transforms/index.js';
import { pal, syntheticSample } from './synthetic-sample.js';

describe('ClassMix mask utilities', () => {
  const A = syntheticSample(11, 40, 30, 5), B = syntheticSample(12, 40, 30, 5);

  it('classMixMask(label, S) is 1 exactly where the label is in S (void only if listed)', () => {
    const S = [1, 4, 9];
    const m = classMixMask(A.label!, S);
    A.label!.data.forEach((c, i) => assert.equal(m[i], S.includes(c) ? 1 : 0));
    assert.ok(classMixMask(A.label!, []).every((v) => v === 0));
    const withVoid = classMixMask(A.label!.data, [255]);
    A.label!.data.forEach((c, i) => assert.equal(withVoid[i], c === 255 ? 1 : 0));
    assert.throws(() => classMixMask(A.label!, [256]), /class ids must be integers in 0\.\.255/);
  });

  it('image, label and weight mixed by one mask stay consistent; mask 1 takes A, mask 0 takes B', () => {
    const present = presentClasses(A.label!);
    const S = pickMixClasses(present, new Rng(1));
    const m = classMixMask(A.label!, S);
    const mixed = mixSample(m, A, B);
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

  it('pickMixClasses draws ⌈n/2⌉ distinct present classes, reproducibly; zero-weight classes only when forced', () => {
    const present = [0, 2, 3, 5, 8];
    for (let k = 0; k < 20; k++) {
      const a = pickMixClasses(present, new Rng(['pick', k]));
      assert.equal(a.length, 3);
      assert.equal(new Set(a).size, 3);
      assert.ok(a.every((c) => present.includes(c)));
      assert.deepEqual(pickMixClasses(present, new Rng(['pick', k])), a);
    }
    // Weighted (MOCM-style): classes with weight 0 are never chosen while others remain.
    for (let k = 0; k < 20; k++) {
      const a = pickMixClasses(present, new Rng(['w', k]), (c) => (c === 3 || c === 8 ? 0 : 1));
      assert.deepEqual(a, [0, 2, 5]);
    }
    // Heavier classes are picked more often.
    let heavy = 0;
    for (let k = 0; k < 300; k++) if (pickMixClasses([1, 2], new Rng(['h', k]), (c) => (c === 1 ? 9 : 1))[0] === 1) heavy++;
    assert.ok(heavy > 240 && heavy < 300, `heavy class picked ${heavy}/300 (expected ≈ 270)`);
    assert.deepEqual(pickMixClasses([], new Rng(1)), []);
    assert.deepEqual(presentClasses(Uint8Array.from([255, 3, 3, 0, 255])), [0, 3]);
  });
});
