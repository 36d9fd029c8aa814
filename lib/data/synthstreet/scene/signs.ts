/**
 * Traffic signs and traffic lights (class sign) on posts (class pole). Sign panels face the
 * camera (or show their grey back); shapes: circle, triangle, rectangle, diamond, octagon.
 * Traffic lights: a dark housing with three lamps, on a post or hanging from a mast arm.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour, type PaletteName } from '../palette.js';
import { fillBillboard, fillCentred, fillPolygon, type Frag } from '../raster.js';
import { roadX, shaped, stream, variant, type SceneCtx } from './context.js';

type Panel = 'circle' | 'triangle' | 'rect' | 'diamond' | 'octagon' | 'light';
const PANELS: readonly Panel[] = ['circle', 'triangle', 'rect', 'diamond', 'octagon', 'light'];
const SOURCE_W = [0.35, 0.25, 0.15, 0.0, 0.05, 0.2];
const TARGET_W = [0.15, 0.1, 0.35, 0.12, 0.03, 0.25];
const FACE: Record<Panel, PaletteName> = {
  circle: 'signRed', triangle: 'signWhite', rect: 'signBlue', diamond: 'signYellow', octagon: 'signRed', light: 'trafficLight',
};

function inside(panel: Panel, u: number, v: number, r: number): boolean {
  const au = Math.abs(u);
  switch (panel) {
    case 'circle': return u * u + v * v < r * r;
    case 'triangle': { const y = (r - v) / (1.8 * r); return y >= 0 && y <= 1 && au < r * 1.05 * y; }
    case 'rect': return au < r * 1.2 && Math.abs(v) < r * 0.8;
    case 'diamond': return au + Math.abs(v) < r;
    case 'octagon': return au < r && Math.abs(v) < r && au + Math.abs(v) < r * 1.41;
    case 'light': return au < r * 0.42 && Math.abs(v) < r * 1.2;
  }
}

export function drawSigns(ctx: SceneCtx): void {
  const { fb, road, knobs } = ctx;
  const s = knobs.shapeShift, P = knobs.palette;
  const n = stream(ctx, 'signs').intIn(2, 6);
  for (let k = 0; k < n; k++) {
    const rng = stream(ctx, 'sign', k);
    const side = rng.float() < 0.6 ? 1 : -1;
    const z = 4 + Math.pow(rng.float(), 1.3) * 45;
    const lat = side * (road.half + rng.range(0.25, 0.8));
    const tgt = variant(rng, s);
    const pi = rng.weighted(tgt ? TARGET_W : SOURCE_W);
    const panel = PANELS[pi]!;
    const r = shaped(rng, s, 0.3, 0.42, 0.25, 0.55);
    const postH = shaped(rng, s, 2.0, 2.8, 1.8, 3.4);
    const back = rng.float() < 0.25;
    const mast = rng.float() < 0.35;
    const lit = rng.int(3);
    // Circles, triangles and octagons: coloured rim, white centre; the others the reverse.
    const face = sampleColour(rng, FACE[panel], P);
    const white = sampleColour(rng, 'signWhite', P);
    const rimFirst = panel === 'circle' || panel === 'triangle' || panel === 'octagon';
    const ring = rimFirst ? face : white;
    const centre = rimFirst ? white : face;
    const postC = sampleColour(rng, 'pole', P);
    const backC = sampleColour(rng, 'signBack', P);
    const x = roadX(road, z) + lat;
    const post = fb.parts.add(CLS.pole, MAT.metal, postC);
    const cy = postH + r;
    if (panel === 'light') {
      const housing = fb.parts.add(CLS.sign, MAT.signFace, face);
      const lamps = [[0.9, 0.1, 0.1], [1, 0.75, 0.1], [0.1, 0.85, 0.3]].map((c, i) =>
        fb.parts.add(CLS.sign, i === lit ? MAT.lamp : MAT.signFace, (i === lit ? c : [c[0]! * 0.3, c[1]! * 0.3, c[2]! * 0.3]) as [number, number, number]));
      const frag: Frag = (u, v) => {
        if (!inside('light', u, v, r)) return -1;
        const li = v > r * 0.4 ? 0 : v > -r * 0.4 ? 1 : 2;
        const lv = v - (li === 0 ? r * 0.8 : li === 1 ? 0 : -r * 0.8);
        return u * u + lv * lv < r * r * 0.1 ? lamps[li]! : housing;
      };
      let lx = x;
      let ly = cy + 0.4;
      if (mast) {
        // A mast arm over the road; the light hangs above a lane.
        const reach = Math.min(road.half, 4 + 3 * r);
        lx = x - side * reach;
        ly = postH + 2.4;
        fillBillboard(fb, x, z, 0.11, 0, postH + 2.9, () => post);
        const xa = Math.min(x, lx), xb = Math.max(x, lx);
        fillPolygon(fb, [xa, postH + 2.75, z, xb, postH + 2.75, z, xb, postH + 2.9, z, xa, postH + 2.9, z], [0, 0, 1, 0, 1, 1, 0, 1], () => post);
      } else {
        fillBillboard(fb, x, z, 0.06, 0, ly - r * 1.2, () => post);
      }
      fillCentred(fb, lx, z - 0.08, r, ly, r * 1.25, frag);
      continue;
    }
    fillBillboard(fb, x, z, 0.045, 0, cy, () => post);
    const faceP = fb.parts.add(CLS.sign, MAT.signFace, back ? backC : centre);
    const ringP = fb.parts.add(CLS.sign, MAT.signFace, back ? backC : ring);
    const frag: Frag = (u, v) => {
      if (!inside(panel, u, v, r)) return -1;
      return !inside(panel, u * 1.25, (v - (panel === 'triangle' ? -r * 0.12 : 0)) * 1.25, r) ? ringP : faceP;
    };
    fillCentred(fb, x, z - 0.06, r * 1.3, cy, r * 1.3, frag);
  }
}
