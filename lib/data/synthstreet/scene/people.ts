/**
 * Pedestrians (class pedestrian) and bicyclists (class bicyclist: rider and bicycle), as
 * camera-facing figures built from discs and thick line segments in metres: front/back or
 * profile views, walking stride and arm swing. Pedestrians stand on the sidewalks or cross at
 * the zebra; bicyclists ride along the curb (seen from behind/front) or cross (profile).
 * Target shape variants: coats, bags, slimmer or broader builds.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour } from '../palette.js';
import { fillCentred, type Frag } from '../raster.js';
import { overlapsOccupied, roadX, shaped, stream, variant, type SceneCtx } from './context.js';

/** Squared distance from (px, py) to the segment (ax, ay)–(bx, by). */
function seg2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  let t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = px - ax - t * dx, ey = py - ay - t * dy;
  return ex * ex + ey * ey;
}

/** Pedestrian count: source ⌊5u⌋ (0–4); prior shift widens the range up to 0–7. */
export function pedestrianCount(u: number, prior: number): number {
  return Math.floor(u * 5 * (1 + 0.75 * prior));
}

/** Bicyclist count: source ⌊5u²⌋ (0–4, mostly 0–2); prior shift raises it up to +75 %. */
export function bicyclistCount(u: number, prior: number): number {
  return Math.floor(u * u * 5 * (1 + 0.75 * prior));
}

interface Person {
  readonly H: number;
  readonly build: number;
  readonly profile: boolean;
  readonly back: boolean;
  readonly stride: number;
  readonly swing: number;
  readonly coat: boolean;
  readonly bag: boolean;
  readonly skin: number; readonly hair: number; readonly top: number; readonly bottom: number; readonly shoe: number;
}

/** Figure of a standing/walking person; local u (metres, right), v (height, metres). */
function personFrag(p: Person): Frag {
  const { H, build } = p;
  const rh = 0.068 * H, hy = H - rh;
  const ys = H * 0.815, yh = H * 0.5;
  const sh = p.profile ? build * 0.3 : build / 2;
  const hipW = p.profile ? build * 0.28 : build * 0.36;
  const legW = 0.065 * (build / 0.44);
  const armW = 0.045 * (build / 0.44);
  const hemY = p.coat ? H * 0.3 : yh - 0.02;
  const faceDir = p.back ? 0 : 0.02;
  return (u, v) => {
    // Head and hair.
    const du = u - (p.profile ? faceDir * 2 : 0), dv = v - hy;
    if (du * du + dv * dv < rh * rh) {
      if (p.back || dv > rh * 0.35 || (p.profile && du < -rh * 0.3)) return p.hair;
      return p.skin;
    }
    if (v > ys - 0.02 && v < hy - rh * 0.8 && Math.abs(u) < 0.05) return p.skin;
    // Torso (and coat).
    if (v <= ys && v >= hemY) {
      const t = (v - hemY) / (ys - hemY);
      const half = p.coat && v < yh ? hipW + (yh - v) * 0.25 : hipW + (sh - hipW) * Math.min(1, t * 1.3);
      if (Math.abs(u) < half) return p.top;
    }
    if (v > ys && v < ys + 0.05 && Math.abs(u) < sh - (v - ys) * 2.5) return p.top;
    // Arms and hands.
    if (p.profile) {
      const ax = 0, ay = ys - 0.03;
      for (const sg of [-1, 1]) {
        const hx = sg * p.swing, hyy = yh - 0.02;
        if (seg2(u, v, ax, ay, hx, hyy) < armW * armW) return p.top;
        const ex = u - hx, ey = v - (hyy - 0.03);
        if (ex * ex + ey * ey < 0.05 * 0.05) return p.skin;
      }
    } else {
      for (const sg of [-1, 1]) {
        const ax = sg * (sh - armW * 0.8), hx = sg * (sh + 0.02);
        if (seg2(u, v, ax, ys - 0.03, hx, yh - 0.02) < armW * armW) return p.top;
        const ex = u - hx, ey = v - (yh - 0.07);
        if (ex * ex + ey * ey < 0.048 * 0.048) return p.skin;
      }
    }
    if (p.bag) {
      const bx = p.profile ? -0.12 : sh + 0.06;
      if (Math.abs(u - bx) < 0.1 && v > yh - 0.3 && v < yh + 0.05) return p.bottom;
    }
    // Legs and shoes.
    for (const sg of [-1, 1]) {
      const hx = p.profile ? 0 : sg * (hipW - legW * 0.9);
      const fx = p.profile ? sg * p.stride : sg * (hipW - legW * 0.9 + 0.02);
      if (v < yh + 0.02 && seg2(u, v, hx, yh, fx, 0.06) < legW * legW) return v < 0.09 ? p.shoe : p.bottom;
    }
    return -1;
  };
}

function samplePerson(rng: ReturnType<typeof stream>, ctx: SceneCtx, scale = 1): Person {
  const s = ctx.knobs.shapeShift, P = ctx.knobs.palette;
  const parts = ctx.fb.parts;
  const H = shaped(rng, s, 1.58, 1.88, 1.5, 1.95) * scale;
  const build = shaped(rng, s, 0.4, 0.48, 0.32, 0.56);
  const profile = rng.float() < 0.4;
  const back = rng.float() < 0.5;
  const stride = rng.range(0.08, 0.34);
  const swing = rng.range(-0.2, 0.2);
  const coat = variant(rng, s, 0.5);
  const bag = variant(rng, s, 0.35);
  const cls = CLS.pedestrian;
  return {
    H, build, profile, back, stride, swing, coat, bag,
    skin: parts.add(cls, MAT.skin, sampleColour(rng, 'skin', P)),
    hair: parts.add(cls, MAT.hair, sampleColour(rng, 'hair', P)),
    top: parts.add(cls, MAT.cloth, sampleColour(rng, 'top', P)),
    bottom: parts.add(cls, MAT.cloth, sampleColour(rng, 'bottom', P)),
    shoe: parts.add(cls, MAT.hair, [0.06, 0.06, 0.06]),
  };
}

export function drawPedestrians(ctx: SceneCtx): void {
  const { road, knobs } = ctx;
  const n = pedestrianCount(stream(ctx, 'pedestrians').float(), knobs.priorShift);
  for (let i = 0; i < n; i++) {
    const rng = stream(ctx, 'pedestrian', i);
    const p = samplePerson(rng, ctx);
    const onCross = road.crosswalk !== null && rng.float() < 0.35;
    const side = rng.float() < 0.5 ? -1 : 1;
    const sw = road.sidewalk[side < 0 ? 0 : 1];
    const latU = rng.float();
    const z = 3 + Math.pow(rng.float(), 1.5) * 30;
    let lat: number, zz: number;
    if (onCross) {
      lat = (latU * 2 - 1) * road.half * 0.9;
      zz = (road.crosswalk!.z0 + road.crosswalk!.z1) / 2 + (latU - 0.5);
    } else {
      lat = side * (road.half + 0.3 + latU * Math.max(0, sw - 0.6));
      zz = z;
    }
    const hw = 0.6;
    fillCentred(ctx.fb, roadX(road, zz) + lat, zz, hw, p.H / 2 + 0.02, p.H / 2 + 0.03, shiftV(personFrag(p), p.H / 2 + 0.02));
  }
}

/** Billboards centred at height cy pass v − … ; person fragments want height above ground. */
function shiftV(f: Frag, cy: number): Frag {
  return (u, v) => f(u, v + cy);
}

interface Rider {
  readonly r: number;
  readonly profile: boolean;
  readonly facing: number;
  readonly k: number;
  readonly bike: number; readonly tyre: number; readonly skin: number; readonly top: number; readonly bottom: number; readonly hair: number;
}

function riderFrag(b: Rider): Frag {
  const { r, k } = b;
  const bw = 0.022 * k, lw = 0.06 * k, tw = 0.13 * k;
  if (b.profile) {
    const f = b.facing;
    const rx = -0.52 * k * f, fx = 0.52 * k * f;
    const seat = [-0.2 * k * f, r + 0.55 * k], headT = [0.36 * k * f, r + 0.5 * k], bb = [0, r];
    const hip = [-0.18 * k * f, r + 0.64 * k], sho = [0.16 * k * f, r + 1.12 * k], knee = [0.1 * k * f, r + 0.5 * k];
    const headC = [0.25 * k * f, r + 1.3 * k];
    return (u, v) => {
      let d = u - headC[0]!, e = v - headC[1]!;
      if (d * d + e * e < (0.11 * k) ** 2) return e > 0.02 ? b.hair : b.skin;
      if (seg2(u, v, hip[0]!, hip[1]!, sho[0]!, sho[1]!) < tw * tw) return b.top;
      if (seg2(u, v, sho[0]!, sho[1]!, headT[0]! + 0.04 * f, headT[1]! + 0.1 * k) < (0.045 * k) ** 2) return b.top;
      if (seg2(u, v, hip[0]!, hip[1]!, knee[0]!, knee[1]!) < lw * lw) return b.bottom;
      if (seg2(u, v, knee[0]!, knee[1]!, bb[0]! + 0.06 * f, bb[1]! - 0.05) < lw * lw * 0.8) return b.bottom;
      for (const cx of [rx, fx]) {
        d = u - cx; e = v - r;
        const q = Math.sqrt(d * d + e * e);
        if (q < r && q > r - 0.045 * k) return b.tyre;
        if (q < 0.035) return b.bike;
      }
      if (seg2(u, v, rx, r, seat[0]!, seat[1]!) < bw * bw || seg2(u, v, rx, r, bb[0]!, bb[1]!) < bw * bw ||
        seg2(u, v, bb[0]!, bb[1]!, seat[0]!, seat[1]!) < bw * bw || seg2(u, v, seat[0]!, seat[1]!, headT[0]!, headT[1]!) < bw * bw ||
        seg2(u, v, bb[0]!, bb[1]!, headT[0]!, headT[1]!) < bw * bw || seg2(u, v, headT[0]!, headT[1]!, fx, r) < bw * bw ||
        seg2(u, v, headT[0]!, headT[1]!, headT[0]! + 0.04 * f, headT[1]! + 0.12 * k) < bw * bw) return b.bike;
      return -1;
    };
  }
  // Seen from behind or the front: wheel edge-on, rider's back/front, bars.
  return (u, v) => {
    const au = Math.abs(u);
    const hy = r + 1.32 * k;
    const d = v - hy;
    if (u * u + d * d < (0.11 * k) ** 2) return d > 0.02 || b.facing > 0 ? b.hair : b.skin;
    if (v > r + 0.62 * k && v < r + 1.18 * k && au < 0.2 * k - (v < r + 0.8 * k ? 0.03 : 0)) return b.top;
    if (seg2(au, v, 0.17 * k, r + 1.12 * k, 0.3 * k, r + 0.88 * k) < (0.045 * k) ** 2) return b.top;
    if (v > r + 0.84 * k && v < r + 0.88 * k && au < 0.32 * k) return b.bike;
    if (seg2(au, v, 0.1 * k, r + 0.64 * k, 0.13 * k, r * 0.4) < lw * lw) return b.bottom;
    if (au < 0.025 * k && v < 2 * r) return b.tyre;
    if (au < 0.02 * k && v < r + 0.85 * k) return b.bike;
    return -1;
  };
}

export function drawBicyclists(ctx: SceneCtx): void {
  const { road, knobs, fb } = ctx;
  const n = bicyclistCount(stream(ctx, 'bicyclists').float(), knobs.priorShift);
  const P = knobs.palette, s = knobs.shapeShift;
  for (let i = 0; i < n; i++) {
    const rng = stream(ctx, 'bicyclist', i);
    const r = shaped(rng, s, 0.32, 0.35, 0.28, 0.36);
    const k = shaped(rng, s, 0.95, 1.08, 0.88, 1.12);
    const crossing = rng.float() < 0.4;
    const onWalk = rng.float() < 0.2;
    const side = rng.float() < 0.7 ? 1 : -1;
    const facing = rng.float() < 0.5 ? -1 : 1;
    const zU = rng.float(), lU = rng.float();
    const cls = CLS.bicyclist;
    const b: Rider = {
      r, k, profile: crossing, facing,
      bike: fb.parts.add(cls, MAT.metal, sampleColour(rng, 'bike', P)),
      tyre: fb.parts.add(cls, MAT.tyre, [0.07, 0.07, 0.07]),
      skin: fb.parts.add(cls, MAT.skin, sampleColour(rng, 'skin', P)),
      top: fb.parts.add(cls, MAT.cloth, sampleColour(rng, 'top', P)),
      bottom: fb.parts.add(cls, MAT.cloth, sampleColour(rng, 'bottom', P)),
      hair: fb.parts.add(cls, MAT.hair, sampleColour(rng, 'hair', P)),
    };
    let lat: number, z: number;
    if (crossing) {
      lat = (lU * 2 - 1) * road.half * 0.85;
      z = 6 + zU * 30;
    } else if (onWalk) {
      lat = side * (road.half + 0.5 + lU * Math.max(0, road.sidewalk[side < 0 ? 0 : 1] - 1));
      z = 4 + zU * 40;
    } else {
      lat = side * (road.half - 0.6 - lU * 0.8);
      z = 5 + zU * 45;
    }
    const hw = crossing ? 0.95 * k : 0.4 * k;
    const top = r + 1.5 * k;
    if (!onWalk && overlapsOccupied(ctx, z - 1, z + 1, lat - hw, lat + hw)) continue;
    ctx.occupied.push({ z0: z - 1, z1: z + 1, l0: lat - hw, l1: lat + hw });
    fillCentred(fb, roadX(road, z) + lat, z, hw, top / 2, top / 2, shiftV(riderFrag(b), top / 2));
  }
}
