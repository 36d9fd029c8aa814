/**
 * Street lamps (class pole: post, arm over the road, lamp head) in rows along the curb.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour } from '../palette.js';
import { fillBillboard, fillPolygon } from '../raster.js';
import { roadX, shaped, stream, type SceneCtx } from './context.js';

export function drawLamps(ctx: SceneCtx): void {
  const { fb, road, knobs } = ctx;
  const s = knobs.shapeShift;
  for (const side of [-1, 1]) {
    const rng = stream(ctx, 'lamp-row', side);
    const has = rng.float() < 0.7;
    const spacing = rng.range(18, 40);
    let z = rng.range(2, 25);
    const height = shaped(rng, s, 6, 9, 5, 11);
    const width = shaped(rng, s, 0.16, 0.24, 0.12, 0.3);
    const arm = shaped(rng, s, 1, 2.5, 0.3, 1.5);
    const col = sampleColour(rng, 'pole', knobs.palette);
    if (!has) continue;
    const post = fb.parts.add(CLS.pole, MAT.metal, col);
    const head = fb.parts.add(CLS.pole, MAT.lamp, [0.9, 0.9, 0.85]);
    for (let k = 0; z < 120 && k < 10; k++) {
      const r = stream(ctx, `lamp${side}`, k);
      const x = roadX(road, z) + side * (road.half + r.range(0.3, 0.5));
      fillBillboard(fb, x, z, width / 2, 0, height, () => post);
      // Arm toward the road centre, lamp head at its end.
      const xe = x - side * arm;
      const xa = Math.min(x, xe), xb = Math.max(x, xe);
      fillPolygon(fb, [xa, height - 0.12, z, xb, height - 0.12, z, xb, height, z, xa, height, z],
        [0, 0, 1, 0, 1, 1, 0, 1], () => post);
      fillBillboard(fb, xe, z - 0.05, 0.3, height - 0.25, height - 0.05, () => head);
      z += spacing * r.range(0.85, 1.15);
    }
  }
}
