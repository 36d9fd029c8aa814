/**
 * The far background: a row of distant building blocks (and tree lines) 140–240 m ahead that
 * closes the view at the horizon, with occasional gaps of open sky.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { valueNoise } from '../noise.js';
import { sampleColour, shadeRGB } from '../palette.js';
import { fillBillboard } from '../raster.js';
import { roadX, shaped, stream, type SceneCtx } from './context.js';

export function drawSkyline(ctx: SceneCtx): void {
  const { fb, road, knobs } = ctx;
  const rng0 = stream(ctx, 'skyline');
  const zBase = rng0.range(140, 220);
  const xc = roadX(road, zBase);
  let x = xc - 320;
  for (let k = 0; x < xc + 320 && k < 80; k++) {
    const rng = stream(ctx, 'skyline-block', k);
    const w = rng.range(8, 35);
    const kindU = rng.float();
    const h = shaped(rng, knobs.shapeShift, 3, 28, 5, 40);
    const treeH = rng.range(4, 11);
    const dz = rng.range(0, 25);
    const colB = shadeRGB(sampleColour(rng, 'facade', knobs.palette), 0.85);
    const colT = sampleColour(rng, 'foliage', knobs.palette);
    const seed = rng.nextU32() | 0;
    const cx = x + w / 2;
    x += w;
    if (kindU < 0.12) continue;
    if (kindU < 0.32) {
      const p = fb.parts.add(CLS.tree, MAT.foliage, colT);
      fillBillboard(fb, cx, zBase + dz, w / 2 + 1, 0, treeH + 2, (u, v) =>
        v < treeH * (0.75 + 0.45 * valueNoise(u * 0.4, 0, seed)) ? p : -1);
    } else {
      const p = fb.parts.add(CLS.building, MAT.facade, colB);
      fillBillboard(fb, cx, zBase + dz, w / 2, 0, h, () => p);
    }
  }
}
