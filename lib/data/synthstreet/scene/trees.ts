/**
 * Trees (class tree: trunk and canopy) and hedges. Street trees stand in rows near the curb;
 * big trees stand behind the building line (seen in gaps and over low roofs). Canopy shapes:
 * an ellipse (source); target variants: a cluster of noisy blobs with leaf gaps, or a conifer
 * cone with jagged edges.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { fbm, valueNoise } from '../noise.js';
import { sampleColour, type RGB } from '../palette.js';
import { fillBillboard, fillCentred, fillPolygon, type Frag } from '../raster.js';
import type { Rng } from '../../rng.js';
import { roadX, shaped, sidewalkOuter, stream, variant, type SceneCtx } from './context.js';

interface TreeSpec {
  readonly x: number;
  readonly z: number;
  readonly trunkH: number;
  readonly trunkW: number;
  readonly rx: number;
  readonly ry: number;
  readonly kind: 'ellipse' | 'blobs' | 'cone';
  readonly blobs: readonly number[];
  readonly holes: number;
  readonly seed: number;
  readonly trunkC: RGB;
  readonly leafC: RGB;
}

function sampleTree(rng: Rng, ctx: SceneCtx, x: number, z: number, scale: number): TreeSpec {
  const s = ctx.knobs.shapeShift, P = ctx.knobs.palette;
  const trunkH = shaped(rng, s, 1.8, 3.2, 1.5, 3.8) * scale;
  const trunkW = rng.range(0.2, 0.38) * Math.sqrt(scale);
  const rx = shaped(rng, s, 1.3, 2.6, 1.1, 3.0) * scale;
  const ry = shaped(rng, s, 1.6, 3.0, 1.5, 3.6) * scale;
  const blobsV = variant(rng, s, 0.6);
  const coneV = variant(rng, s, 0.5);
  const blobs: number[] = [];
  for (let i = 0; i < 6; i++) blobs.push(rng.range(-0.55, 0.55), rng.range(-0.5, 0.55), rng.range(0.45, 0.7));
  const seed = rng.nextU32() | 0;
  const trunkC = sampleColour(rng, 'trunk', P);
  const leafC = sampleColour(rng, 'foliage', P);
  const kind = blobsV ? 'blobs' : coneV ? 'cone' : 'ellipse';
  return { x, z, trunkH, trunkW, rx, ry, kind, blobs, holes: 0.3 * s, seed, trunkC, leafC };
}

function canopyFrag(t: TreeSpec, leaf: number): Frag {
  const { rx, ry, seed } = t;
  if (t.kind === 'ellipse') {
    return (u, v) => {
      const a = u / rx, b = v / ry;
      return a * a + b * b < 1 ? leaf : -1;
    };
  }
  if (t.kind === 'cone') {
    // v ∈ [−ry, ry]: a triangle widening downward, jagged by noise.
    return (u, v) => {
      const y = (ry - v) / (2 * ry);
      const jag = 0.75 + 0.5 * valueNoise(v * 4, u > 0 ? 1 : 2, seed);
      return y > 0 && y < 1 && Math.abs(u) < rx * y * jag ? leaf : -1;
    };
  }
  const bl = t.blobs;
  const holes = t.holes;
  return (u, v) => {
    const a = u / rx, b = v / ry;
    const wob = 0.75 + 0.5 * valueNoise(u * 1.5, v * 1.5, seed);
    let inside = false;
    for (let i = 0; i < bl.length; i += 3) {
      const da = a - bl[i]!, db = b - bl[i + 1]!, r = bl[i + 2]! * wob;
      if (da * da + db * db < r * r) { inside = true; break; }
    }
    if (!inside) return -1;
    if (holes > 0 && fbm(u * 2.2, v * 2.2, seed + 7, 2) > 1 - holes) return -1;
    return leaf;
  };
}

function drawTree(ctx: SceneCtx, t: TreeSpec): void {
  const parts = ctx.fb.parts;
  const trunk = parts.add(CLS.tree, MAT.trunk, t.trunkC);
  const leaf = parts.add(CLS.tree, MAT.foliage, t.leafC);
  fillBillboard(ctx.fb, t.x, t.z, t.trunkW / 2, 0, t.trunkH + t.ry * 0.6, () => trunk);
  const cy = t.trunkH + t.ry * 0.8;
  const frag = canopyFrag(t, leaf);
  // The canopy billboard's v runs from −ry to ry around the canopy centre.
  fillCentred(ctx.fb, t.x, t.z - 0.05, t.rx * 1.3, cy, t.ry * 1.3, frag);
}

export function drawTrees(ctx: SceneCtx): void {
  const { road } = ctx;
  for (const side of [-1, 1]) {
    const rng = stream(ctx, 'tree-row', side);
    const hasRow = rng.float() < 0.55;
    const spacing = rng.range(7, 16);
    let z = rng.range(1, 12);
    const sw = road.sidewalk[side < 0 ? 0 : 1];
    for (let k = 0; hasRow && z < 110 && k < 20; k++) {
      const r = stream(ctx, `tree${side}`, k);
      const lat = side * (road.half + Math.min(sw - 0.3, r.range(0.5, 1.0)));
      const t = sampleTree(r, ctx, roadX(road, z) + lat, z, r.range(0.85, 1.2));
      drawTree(ctx, t);
      z += spacing * r.range(0.8, 1.2);
    }
    // Big trees behind the building line.
    const rb = stream(ctx, 'big-trees', side);
    const nBig = rb.intIn(0, 5);
    for (let k = 0; k < nBig; k++) {
      const r = stream(ctx, `bigtree${side}`, k);
      const zb = r.range(8, 130);
      const lat = side * (sidewalkOuter(road, side) + r.range(1.5, 14));
      drawTree(ctx, sampleTree(r, ctx, roadX(road, zb) + lat, zb, r.range(1.6, 2.8)));
    }
    // A hedge along the outer sidewalk edge.
    const rh = stream(ctx, 'hedge', side);
    if (rh.float() < 0.3) {
      const z0 = rh.range(-5, 30), len = rh.range(8, 40), hh = rh.range(0.7, 1.5);
      const col = sampleColour(rh, 'foliage', ctx.knobs.palette);
      const seed = rh.nextU32() | 0;
      const p = ctx.fb.parts.add(CLS.tree, MAT.foliage, col);
      const lat = side * (sidewalkOuter(road, side) + 0.4);
      const nSeg = Math.ceil(len / 4);
      for (let j = 0; j < nSeg; j++) {
        const za = z0 + (len * j) / nSeg, zb = z0 + (len * (j + 1)) / nSeg;
        const xa = roadX(road, za) + lat, xb = roadX(road, zb) + lat;
        fillPolygon(ctx.fb, [xa, 0, za, xb, 0, zb, xb, hh + 0.3, zb, xa, hh + 0.3, za],
          [za, 0, zb, 0, zb, hh + 0.3, za, hh + 0.3],
          (u, v) => (v < hh * (0.85 + 0.3 * valueNoise(u * 1.2, 0, seed)) ? p : -1));
      }
    }
  }
}
