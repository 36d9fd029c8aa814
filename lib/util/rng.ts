/**
 * Seeded pseudo-random numbers for the data pipeline (generator, augmentations, loader).
 *
 * Generator: xoshiro128** (Blackman & Vigna, 2018; 128-bit state, 32-bit output), seeded by
 * SplitMix32 from a 32-bit key. Everything is 32-bit integer arithmetic (Math.imul), so streams
 * are identical on every platform and every Node version.
 *
 * Keys: a stream is named by a list of parts (numbers and strings), hashed to a 32-bit key:
 * `new Rng([seed, 'car', i])`. `rng.fork(...parts)` derives a child stream from the parent's key
 * WITHOUT consuming the parent's state, so independent components (cameras, cars, trees, sample
 * i of epoch e) never shift each other's numbers when one of them draws more or fewer values.
 */

export type SeedPart = number | string;

/** murmur3 finaliser: a bijective 32-bit avalanche mix. Returns an unsigned 32-bit integer. */
export function mix32(x: number): number {
  x |= 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hash one part: integers by value (any safe integer, negative too), strings by FNV-1a. */
function partHash(p: SeedPart): number {
  if (typeof p === 'string') {
    let h = 0x811c9dc5;
    for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
    return mix32(h ^ 0x5bd1e995);
  }
  if (!Number.isFinite(p)) throw new Error(`rng: seed part must be finite, got ${p}`);
  if (!Number.isInteger(p)) {
    // Non-integers are hashed through their float64 bit pattern.
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, p);
    return mix32(dv.getUint32(0) ^ mix32(dv.getUint32(4) + 0x3c6ef372));
  }
  const lo = p % 4294967296;
  const hi = Math.floor(p / 4294967296);
  return mix32((lo >>> 0) ^ mix32(hi + 0x27d4eb2d));
}

/** Order-sensitive 32-bit hash of a list of parts (unsigned). */
export function hashParts(parts: readonly SeedPart[]): number {
  let h = 0x9e3779b9 ^ parts.length;
  for (const p of parts) h = mix32(Math.imul(h, 0x2c1b3c6d) + partHash(p));
  return h >>> 0;
}

/** Uniform float in [0, 1) from a 32-bit hash of integer coordinates (stateless; for textures). */
export function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a | 0, 0x27d4eb2d) ^ Math.imul(b | 0, 0x165667b1) ^ Math.imul(c | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

export class Rng {
  /** The 32-bit key this stream was seeded from (children are derived from it). */
  readonly key: number;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | undefined;

  /** `seed`: a number or a list of parts naming the stream. */
  constructor(seed: SeedPart | readonly SeedPart[]) {
    this.key = hashParts(Array.isArray(seed) ? seed : [seed as SeedPart]);
    // SplitMix32 expands the key into the four state words (never all zero).
    let x = this.key;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A child stream named by `parts`, derived from this stream's key; consumes nothing. */
  fork(...parts: SeedPart[]): Rng {
    return new Rng([this.key, ...parts]);
  }

  /** Next unsigned 32-bit integer (xoshiro128**). */
  nextU32(): number {
    const s1 = this.s1;
    let r = Math.imul(s1, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return r >>> 0;
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n) (n ≥ 1, n ≤ 2^32), unbiased (rejection). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    if (n === 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  intIn(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** true with probability p. */
  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  /** Normal N(mean, sd²) (Box–Muller; the second value is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return mean + sd * s;
    }
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty array');
    return items[this.int(items.length)]!;
  }

  /** Index drawn with probability ∝ weights[i] (weights ≥ 0, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0)) throw new Error(`Rng.weighted: weights must be ≥ 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new Error('Rng.weighted: all weights are zero');
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return 0;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
