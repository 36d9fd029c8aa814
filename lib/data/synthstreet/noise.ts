/**
 * Stateless procedural noise for textures: 2-D value noise on an integer lattice (hashed corner
 * values, smoothstep interpolation) and fBm (sum of octaves, frequency ×2, amplitude ×0.5).
 * Deterministic from (x, y, seed); values in [0, 1).
 */

function lattice(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Value noise at (x, y) (lattice spacing 1), in [0, 1). */
export function valueNoise(x: number, y: number, seed: number): number {
  const fx = Math.floor(x), fy = Math.floor(y);
  const tx = x - fx, ty = y - fy;
  const ix = fx | 0, iy = fy | 0;
  const a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed);
  const c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed);
  const sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty);
  const top = a + (b - a) * sx, bot = c + (d - c) * sx;
  return top + (bot - top) * sy;
}

/**
 * fBm with `octaves` octaves, normalised to [0, 1). `footprint` = size of one pixel in the same
 * units as (x, y): octaves finer than ≈ 2 pixels fade out (a cheap mip-map, no aliasing shimmer).
 */
export function fbm(x: number, y: number, seed: number, octaves: number, footprint = 0): number {
  let sum = 0, norm = 0, amp = 1, freq = 1;
  for (let o = 0; o < octaves; o++) {
    let w = 1;
    if (footprint > 0) {
      w = 1.5 - 2 * footprint * freq;
      if (w > 1) w = 1;
    }
    // Faded octaves tend to the mean 0.5 instead of adding aliased detail.
    if (w > 0) sum += amp * (w * valueNoise(x * freq, y * freq, seed + o * 1013) + (1 - w) * 0.5);
    else sum += amp * 0.5;
    norm += amp;
    amp *= 0.5;
    freq *= 2;
  }
  return sum / norm;
}

/** Stateless per-cell hash in [0, 1) (for per-pixel grain and per-window choices). */
export function cellHash(ix: number, iy: number, seed: number): number {
  return lattice(ix | 0, iy | 0, seed);
}

/**
 * fbm over many points at once: out[i] = fbm(xs[i], ys[i], seed, octaves, fps[i]) for every i
 * with fps[i] ≥ 0 (others are skipped). The same values as `fbm`, computed in one loop without
 * per-point calls (no boxing of doubles: several times faster than calling fbm per pixel).
 */
export function fbmBatch(xs: Float32Array, ys: Float32Array, fps: Float32Array, out: Float32Array, n: number, seed: number, octaves: number): void {
  for (let i = 0; i < n; i++) {
    const footprint = fps[i]!;
    if (footprint < 0) continue;
    const x = xs[i]!, y = ys[i]!;
    let sum = 0, norm = 0, amp = 1, freq = 1;
    for (let o = 0; o < octaves; o++) {
      let w = 1;
      if (footprint > 0) {
        w = 1.5 - 2 * footprint * freq;
        if (w > 1) w = 1;
      }
      if (w > 0) {
        const sd = seed + o * 1013;
        const px = x * freq, py = y * freq;
        const fx = Math.floor(px), fy = Math.floor(py);
        const tx = px - fx, ty = py - fy;
        const ix = fx | 0, iy = fy | 0;
        const hx0 = Math.imul(ix, 0x27d4eb2d), hx1 = Math.imul(ix + 1, 0x27d4eb2d);
        const hy0 = Math.imul(iy, 0x165667b1) ^ sd, hy1 = Math.imul(iy + 1, 0x165667b1) ^ sd;
        let h = hx0 ^ hy0;
        h = Math.imul(h ^ (h >>> 15), 0x85ebca6b); h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        const a = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
        h = hx1 ^ hy0;
        h = Math.imul(h ^ (h >>> 15), 0x85ebca6b); h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        const b = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
        h = hx0 ^ hy1;
        h = Math.imul(h ^ (h >>> 15), 0x85ebca6b); h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        const c = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
        h = hx1 ^ hy1;
        h = Math.imul(h ^ (h >>> 15), 0x85ebca6b); h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        const d = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
        const sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty);
        const top = a + (b - a) * sx, bot = c + (d - c) * sx;
        sum += amp * (w * (top + (bot - top) * sy) + (1 - w) * 0.5);
      } else sum += amp * 0.5;
      norm += amp;
      amp *= 0.5;
      freq *= 2;
    }
    out[i] = sum / norm;
  }
}
