/**
 * Ground plane and sky: every pixel ray either meets the ground Y = 0 (road with markings,
 * curbs, sidewalks, the strip beyond the building line) or the sky. Objects are drawn over this
 * with the z-buffer. Ground surface coordinates: u = lateral offset from the road centre,
 * v = Z (metres); sky pixels store u = ray x-slope, v = ray elevation (for sky gradients).
 */
import { CLS, VOID } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour } from '../palette.js';
import { roadX, stream, type SceneCtx } from './context.js';

export function drawGroundAndSky(ctx: SceneCtx): void {
  const { fb, cam, road, knobs } = ctx;
  const rng = stream(ctx, 'ground');
  const P = knobs.palette;
  const parts = fb.parts;
  const sky = parts.add(CLS.sky, MAT.sky, [0.4, 0.6, 0.95]);
  if (sky !== 0) throw new Error('sky must be part 0');
  const roadP = parts.add(CLS.road, MAT.road, sampleColour(rng, 'road', P));
  const mark = parts.add(CLS.road, MAT.marking, sampleColour(rng, 'marking', P));
  const yellow = parts.add(CLS.road, MAT.marking, sampleColour(rng, 'markingYellow', P));
  const curb = [0, 1].map(() => parts.add(CLS.pavement, MAT.curb, sampleColour(rng, 'curb', P)));
  const walk = [0, 1].map(() => parts.add(CLS.pavement, MAT.sidewalk, sampleColour(rng, 'sidewalk', P)));
  // Beyond the sidewalk: grass/dirt (void) or a paved forecourt (pavement).
  const beyond = [0, 1].map(() => {
    const paved = rng.float() < 0.45;
    const grass = sampleColour(rng, 'ground', P);
    const pave = sampleColour(rng, 'sidewalk', P);
    return paved ? parts.add(CLS.pavement, MAT.sidewalk, pave) : parts.add(VOID, MAT.ground, grass);
  });

  const W = cam.width, H = cam.height, f = cam.f;
  const sp = cam.sinP, cp = cam.cosP, h = cam.camHeight;
  const half = road.half, laneW = road.laneW, lanes = road.lanes;
  const cross = road.crosswalk;
  const depth = fb.depth, part = fb.part, su = fb.su, sv = fb.sv;
  const edgeIn = half - 0.4, edgeOut = half - 0.25;
  const centreK = lanes / 2;
  for (let py = 0; py < H; py++) {
    const b = -(py + 0.5 - cam.cy) / f;
    const dy = b * cp - sp;
    const row = py * W;
    if (dy > -1e-4) {
      const el = dy / Math.sqrt(1 + b * b);
      for (let px = 0; px < W; px++) {
        const i = row + px;
        part[i] = sky; depth[i] = Infinity;
        su[i] = (px + 0.5 - cam.cx) / f; sv[i] = el;
      }
      continue;
    }
    const t = h / -dy;
    const Z = t * (b * sp + cp);
    const xr = roadX(road, Z);
    const inCross = cross !== null && Z >= cross.z0 && Z <= cross.z1;
    const dash = Z / 9 - Math.floor(Z / 9) < 0.35;
    for (let px = 0; px < W; px++) {
      const i = row + px;
      const a = (px + 0.5 - cam.cx) / f;
      const lat = t * a - xr;
      const al = lat < 0 ? -lat : lat;
      const si = lat < 0 ? 0 : 1;
      let p: number;
      if (al < half) {
        p = roadP;
        if (road.marking !== 'none') {
          if (al > edgeIn && al < edgeOut) p = mark;
          else {
            const k = Math.round((lat + half) / laneW);
            if (k > 0 && k < lanes) {
              const dl = Math.abs(lat + half - k * laneW);
              if (road.marking === 'yellow' && k === centreK) {
                if (dl > 0.05 && dl < 0.17) p = yellow;
              } else if (dl < 0.075 && dash) p = mark;
            }
          }
          if (inCross && al < edgeIn) {
            const q = (lat + 100) / 1.0;
            if (q - Math.floor(q) < 0.5) p = mark;
          }
        }
      } else if (al < half + 0.18) p = curb[si]!;
      else if (al < half + road.sidewalk[si]) p = walk[si]!;
      else p = beyond[si]!;
      part[i] = p; depth[i] = t; su[i] = lat; sv[i] = Z;
    }
  }
}
