/**
 * Camera and road sampling: camera height, pitch and field of view; road width (lanes × lane
 * width), yaw and curvature, sidewalk widths, markings and an optional zebra crossing.
 */
import { makeCamera, type Camera } from '../camera.js';
import type { Rng } from '../../rng.js';
import { shaped, variant, type LayoutKnobs, type Road } from './context.js';

const DEG = Math.PI / 180;

/** Camera: hfov 58–76° (target 50–72°), height 1.3–1.9 m (target 1.2–2.3 m), pitch −3°..+3°. */
export function sampleCamera(rng: Rng, knobs: LayoutKnobs, width: number, height: number): Camera {
  const s = knobs.shapeShift;
  const hfov = shaped(rng, s, 58, 76, 50, 72) * DEG;
  const camH = shaped(rng, s, 1.3, 1.9, 1.2, 2.3);
  const pitch = rng.range(-3, 3) * DEG;
  return makeCamera(width, height, hfov, camH, pitch);
}

export function sampleRoad(rng: Rng, knobs: LayoutKnobs): Road {
  const s = knobs.shapeShift;
  const lanes = rng.intIn(2, 4);
  const laneW = shaped(rng, s, 3.1, 3.6, 2.8, 3.3);
  const half = (lanes * laneW) / 2;
  // The camera drives in a lane right of the centre (right-hand traffic).
  const myLane = lanes === 2 ? 1 : lanes === 3 ? 1 + rng.int(2) : 2 + rng.int(2);
  const camLat = -half + laneW * (myLane + 0.5) + rng.range(-0.4, 0.4);
  const slope = rng.range(-0.07, 0.07);
  const curv = rng.range(-0.003, 0.003);
  const swL = shaped(rng, s, 2.2, 5, 1.3, 3.2);
  const swR = shaped(rng, s, 2.2, 5, 1.3, 3.2);
  const markU = rng.float();
  const yellow = variant(rng, s, 0.7);
  const marking = markU < 0.1 ? 'none' : yellow ? 'yellow' : 'dashed';
  const hasCross = rng.float() < 0.3;
  const cz = rng.range(9, 35);
  const cw = rng.range(3, 4.5);
  return {
    x0: -camLat, slope, curv, half, lanes, laneW, sidewalk: [swL, swR], marking,
    crosswalk: hasCross ? { z0: cz, z1: cz + cw } : null,
    zMax: 150,
  };
}
