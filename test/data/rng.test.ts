/**
 * The data pipeline's seeded PRNG (lib/data/rng.ts): determinism, independent named streams
 * (fork consumes nothing), ranges and basic distribution checks (tolerances are several
 * standard errors wide).
 */
import assert from 'node:assert/strict';
import { hashParts, Rng } from '../../lib/data/rng.js';

describe('data Rng (xoshiro128**)', () => {
  it('is deterministic per seed and differs between seeds and names', () => {
    const a = new Rng(5), b = new Rng(5), c = new Rng(6), d = new Rng(['x', 5]);
    const take = (r: Rng) => Array.from({ length: 8 }, () => r.nextU32());
    const ta = take(a);
    assert.deepEqual(ta, take(b));
    assert.notDeepEqual(ta, take(c));
    assert.notDeepEqual(ta, take(d));
    assert.notEqual(hashParts([1, 2]), hashParts([2, 1]));
    assert.notEqual(hashParts(['a', 1]), hashParts(['a', -1]));
    assert.notEqual(hashParts([2 ** 40]), hashParts([0]));
  });

  it('fork(name) derives a stream from the key without consuming the parent', () => {
    const p = new Rng(9), q = new Rng(9);
    const child = p.fork('cars', 3);
    assert.equal(p.nextU32(), q.nextU32());
    assert.deepEqual(child.nextU32(), new Rng(9).fork('cars', 3).nextU32());
    assert.notEqual(new Rng(9).fork('cars', 3).nextU32(), new Rng(9).fork('cars', 4).nextU32());
  });

  it('draws in range with sane statistics', () => {
    const r = new Rng('stats');
    const n = 40000;
    let s = 0, s2 = 0;
    const counts = new Array(7).fill(0);
    for (let i = 0; i < n; i++) {
      const f = r.float();
      assert.ok(f >= 0 && f < 1);
      s += f;
      const k = r.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
      counts[k]++;
      const z = r.normal();
      s2 += z * z;
    }
    assert.ok(Math.abs(s / n - 0.5) < 0.01, `mean ${s / n}`);
    assert.ok(Math.abs(s2 / n - 1) < 0.05, `normal variance ${s2 / n}`);
    for (const c of counts) assert.ok(Math.abs(c / n - 1 / 7) < 0.01, `int(7) frequency ${c / n}`);
    const p = r.permutation(50);
    assert.deepEqual(Array.from(p).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
    const w = Array.from({ length: 3000 }, () => r.weighted([0, 3, 1]));
    assert.ok(!w.includes(0));
    assert.ok(Math.abs(w.filter((x) => x === 1).length / 3000 - 0.75) < 0.04);
    assert.throws(() => r.int(0), /positive integer/);
    assert.throws(() => r.weighted([0, 0]), /all weights are zero/);
  });
});
