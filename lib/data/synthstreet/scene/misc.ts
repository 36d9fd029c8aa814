/**
 * Unlabelled street furniture (void, 255): bins, utility boxes and bollards on the sidewalks —
 * things a segmentation model must not be scored on, as in CamVid's void class.
 */
import { VOID } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour } from '../palette.js';
import { fillBillboard } from '../raster.js';
import { roadX, stream, type SceneCtx } from './context.js';

export function drawMisc(ctx: SceneCtx): void {
  const { road, fb, knobs } = ctx;
  const n = stream(ctx, 'misc').intIn(0, 3);
  for (let i = 0; i < n; i++) {
    const rng = stream(ctx, 'misc-item', i);
    const side = rng.float() < 0.5 ? -1 : 1;
    const z = rng.range(3, 40);
    const sw = road.sidewalk[side < 0 ? 0 : 1];
    const lat = side * (road.half + 0.3 + rng.float() * Math.max(0.1, sw - 0.8));
    const w = rng.range(0.25, 1.0), h = rng.range(0.5, 1.3);
    const p = fb.parts.add(VOID, MAT.misc, sampleColour(rng, 'misc', knobs.palette));
    fillBillboard(fb, roadX(road, z) + lat, z, w / 2, 0, h, () => p);
  }
}
