/**
 * Fences (class fence) along the outer edge of a sidewalk, and (target variant) railings
 * along the curb. Kinds: picket boards (source), posts with horizontal rails, chain-link mesh;
 * the gaps are transparent (what is behind shows through, and is labelled as such).
 * Surface coordinates: u = metres along the fence, v = height.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour } from '../palette.js';
import { fillPolygon, type Frag } from '../raster.js';
import { roadX, shaped, sidewalkOuter, stream, variant, type SceneCtx } from './context.js';

type Kind = 'picket' | 'rails' | 'mesh';

function fenceFrag(kind: Kind, p: number, h: number, board: number, gap: number): Frag {
  const period = board + gap;
  if (kind === 'picket') {
    return (u, v) => {
      const q = u / period - Math.floor(u / period);
      if (v > h - 0.04 * Math.abs(q * period - board / 2) * 4) return -1;
      return q * period < board || (v > 0.15 && v < 0.25) || (v > h - 0.35 && v < h - 0.25) ? p : -1;
    };
  }
  if (kind === 'rails') {
    return (u, v) => {
      const q = u / 2 - Math.floor(u / 2);
      if (q < 0.06) return p;
      return (v > h - 0.07) || Math.abs(v - h * 0.5) < 0.035 || Math.abs(v - h * 0.15) < 0.035 ? p : -1;
    };
  }
  return (u, v) => {
    const q = u / 2.5 - Math.floor(u / 2.5);
    if (q < 0.03 || v > h - 0.05) return p;
    const a = (u + v) / 0.12, b = (u - v) / 0.12;
    const fa = a - Math.floor(a), fb = b - Math.floor(b);
    return fa < 0.22 || fb < 0.22 ? p : -1;
  };
}

function drawRun(ctx: SceneCtx, lat: number, z0: number, len: number, h: number, frag: Frag): void {
  const nSeg = Math.max(1, Math.ceil(len / 4));
  for (let j = 0; j < nSeg; j++) {
    const za = z0 + (len * j) / nSeg, zb = z0 + (len * (j + 1)) / nSeg;
    const xa = roadX(ctx.road, za) + lat, xb = roadX(ctx.road, zb) + lat;
    fillPolygon(ctx.fb, [xa, 0, za, xb, 0, zb, xb, h, zb, xa, h, za], [za, 0, zb, 0, zb, h, za, h], frag);
  }
}

export function drawFences(ctx: SceneCtx): void {
  const { road, knobs } = ctx;
  const s = knobs.shapeShift;
  for (const side of [-1, 1]) {
    const rng = stream(ctx, 'fence', side);
    const has = rng.float() < 0.55;
    const z0 = rng.range(-4, 30);
    const len = rng.range(15, 70);
    const h = shaped(rng, s, 0.9, 1.3, 1.0, 1.9);
    const railsV = variant(rng, s, 0.5);
    const meshV = variant(rng, s, 0.6);
    const board = rng.range(0.08, 0.14);
    const gap = rng.range(0.05, 0.12);
    const col = sampleColour(rng, 'fence', knobs.palette);
    const curbRail = variant(rng, s, 0.3);
    const cz0 = rng.range(0, 20), clen = rng.range(6, 25);
    if (has) {
      const kind: Kind = railsV ? 'rails' : meshV ? 'mesh' : 'picket';
      const p = ctx.fb.parts.add(CLS.fence, MAT.fence, col);
      drawRun(ctx, side * (sidewalkOuter(road, side) + 0.05), z0, len, h, fenceFrag(kind, p, h, board, gap));
    }
    if (curbRail) {
      const p = ctx.fb.parts.add(CLS.fence, MAT.fence, col);
      drawRun(ctx, side * (road.half + 0.3), cz0, clen, 1.0, fenceFrag('rails', p, 1.0, board, gap));
    }
  }
}
