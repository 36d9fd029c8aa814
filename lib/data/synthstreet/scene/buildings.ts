/**
 * Building facades along both sides of the road: blocks of varying length, height, setback
 * and depth, with gaps; window grids (and shop fronts) on facades and on the visible near side
 * walls; pitched roofs as a target shape variant. Facades follow the road's curve in ≤ 4 m
 * planar segments. Facade surface coordinates: u = metres along the facade, v = height.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour, shadeRGB } from '../palette.js';
import { fillPolygon, type Frag } from '../raster.js';
import { roadX, shaped, sidewalkOuter, stream, variant, type SceneCtx } from './context.js';

interface WindowGrid {
  readonly has: boolean;
  readonly groundH: number;
  readonly floorH: number;
  readonly colSp: number;
  readonly winW: number;
  readonly winH: number;
  readonly shop: boolean;
  readonly top: number;
}

function facadeFrag(wall: number, glass: number, g: WindowGrid): Frag {
  const x0 = (1 - g.winW) / 2, x1 = (1 + g.winW) / 2;
  return (u, v) => {
    if (!g.has || v > g.top) return wall;
    if (v < g.groundH) {
      if (!g.shop || v < 0.35 || v > g.groundH - 0.45) return wall;
      const q = u / 4.5 - Math.floor(u / 4.5);
      return q > 0.08 && q < 0.92 ? glass : wall;
    }
    const fx = u / g.colSp - Math.floor(u / g.colSp);
    const y = (v - g.groundH) / g.floorH;
    const fy = y - Math.floor(y);
    return fx > x0 && fx < x1 && fy > 0.28 && fy < 0.28 + g.winH ? glass : wall;
  };
}

export function drawBuildings(ctx: SceneCtx): void {
  for (const side of [-1, 1]) drawSide(ctx, side);
}

function drawSide(ctx: SceneCtx, side: number): void {
  const { fb, road, knobs } = ctx;
  const s = knobs.shapeShift, P = knobs.palette;
  const outer = sidewalkOuter(road, side);
  const rng0 = stream(ctx, 'buildings-start', side);
  let z = rng0.range(-14, -6);
  for (let k = 0; z < road.zMax && k < 40; k++) {
    const rng = stream(ctx, `building${side}`, k);
    const len = shaped(rng, s, 8, 30, 6, 20);
    const gapU = rng.float();
    const gapLen = rng.range(3, 14);
    const setU = rng.float();
    const setLen = rng.range(0.5, 6);
    const height = shaped(rng, s, 5, 20, 9, 34);
    const depth = rng.range(8, 20);
    const wallC = sampleColour(rng, 'facade', P);
    const glassC = sampleColour(rng, 'window', P);
    const roofC = sampleColour(rng, 'roof', P);
    const hasWin = rng.float() < 0.9;
    const floorH = shaped(rng, s, 2.8, 3.4, 3.0, 4.2);
    const colSp = shaped(rng, s, 2.2, 3.5, 1.4, 4.5);
    const ribbon = variant(rng, s, 0.3);
    const winW0 = shaped(rng, s, 0.4, 0.6, 0.25, 0.85);
    const winW = ribbon ? 0.97 : winW0;
    const winH = shaped(rng, s, 0.45, 0.6, 0.5, 0.68);
    const shop = rng.float() < 0.5;
    const pitched = variant(rng, s, 0.5);
    const roofH = rng.range(2, 5);
    const groundH = shop ? rng.range(3, 4) : floorH;

    const z0 = z, z1 = z + len;
    z = z1 + (gapU < 0.35 ? gapLen : 0);
    if (z1 < 0.5) continue;
    const setback = setU < 0.45 ? 0 : setLen;
    const d = side * (outer + setback);
    const grid: WindowGrid = { has: hasWin, groundH, floorH, colSp, winW, winH, shop, top: height - 0.6 };
    const parts = fb.parts;
    const wall = parts.add(CLS.building, MAT.facade, wallC);
    const glass = parts.add(CLS.building, MAT.window, glassC, colSp, floorH);
    const sideWall = parts.add(CLS.building, MAT.facade, shadeRGB(wallC, 0.72));
    const sideGlass = parts.add(CLS.building, MAT.window, shadeRGB(glassC, 0.8), colSp, floorH);
    const roof = pitched ? parts.add(CLS.building, MAT.roof, roofC) : 0;
    const front = facadeFrag(wall, glass, grid);
    const nSeg = Math.max(1, Math.ceil(len / 4));
    for (let j = 0; j < nSeg; j++) {
      const za = z0 + (len * j) / nSeg, zb = z0 + (len * (j + 1)) / nSeg;
      const xa = roadX(road, za) + d, xb = roadX(road, zb) + d;
      const ua = za - z0, ub = zb - z0;
      fillPolygon(fb, [xa, 0, za, xb, 0, zb, xb, height, zb, xa, height, za], [ua, 0, ub, 0, ub, height, ua, height], front);
      if (pitched) {
        const dx = side * depth * 0.5;
        fillPolygon(fb,
          [xa, height, za, xb, height, zb, xb + dx, height + roofH, zb, xa + dx, height + roofH, za],
          [ua, 0, ub, 0, ub, 1, ua, 1], () => roof);
      }
    }
    // The near side wall (faces the camera when the block starts ahead of it).
    if (z0 > 0.5) {
      const xa = roadX(road, z0) + d;
      const xb = xa + side * depth;
      const sideFrag = facadeFrag(sideWall, sideGlass, { ...grid, shop: false });
      fillPolygon(fb, [xa, 0, z0, xb, 0, z0, xb, height, z0, xa, height, z0], [0, 0, depth, 0, depth, height, 0, height], sideFrag);
      if (pitched) {
        // Gable end: a triangle up to the ridge.
        const roofSide = parts.add(CLS.building, MAT.facade, shadeRGB(wallC, 0.72));
        fillPolygon(fb, [xa, height, z0, xb, height, z0, xa + side * depth * 0.5, height + roofH, z0],
          [0, 0, depth, 0, depth / 2, roofH], () => roofSide);
      }
    }
  }
}
