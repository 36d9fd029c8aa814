/**
 * Cars (class car): driving in lanes (rear visible in the camera's direction, front on the
 * oncoming side) and parked along the curbs. A car is a lower body box and a cabin frustum
 * (sloped windscreen and rear window), wheels as discs on the visible sides and under the body,
 * tail/head lights and a plate. Source shapes: low sedans; target variants: hatchbacks,
 * SUVs/vans (tall, boxy cabins). Visible faces only (back-face culling) + z-buffer.
 */
import { CLS } from '../classes.js';
import { MAT } from '../materials.js';
import { sampleColour, shadeRGB, type RGB } from '../palette.js';
import { fillPolygon, type Frag } from '../raster.js';
import type { Rng } from '../../rng.js';
import { overlapsOccupied, roadHeading, roadX, shaped, stream, variant, type SceneCtx } from './context.js';

interface CarSpec {
  x: number; z: number; heading: number;
  len: number; wid: number; bodyLo: number; bodyHi: number; cabHi: number;
  cabRear: number; cabFront: number; rearSlope: number; frontSlope: number;
  paint: RGB; glass: RGB;
}

/** Car count: source ⌊9u⌋ (0–8); prior shift scales the range down to 40 %. */
export function carCount(u: number, prior: number): number {
  return Math.min(8, Math.floor(u * 9 * (1 - 0.6 * prior)));
}

function sampleShape(rng: Rng, s: number): Omit<CarSpec, 'x' | 'z' | 'heading' | 'paint' | 'glass'> {
  const van = variant(rng, s, 0.35);
  const hatch = variant(rng, s, 0.6);
  const len = shaped(rng, s, 4.0, 4.8, 3.6, 5.2);
  const wid = shaped(rng, s, 1.7, 1.85, 1.72, 2.0);
  const bodyHi = shaped(rng, s, 0.88, 1.0, 0.95, 1.2);
  const cabHi = shaped(rng, s, 1.35, 1.5, 1.5, 1.95);
  const cabRear = rng.range(0.45, 0.8);
  const cabFront = rng.range(1.0, 1.4);
  const rearSlope = rng.range(0.35, 0.6);
  const frontSlope = rng.range(0.5, 0.8);
  if (van) {
    return { len: len + 0.3, wid, bodyLo: 0.32, bodyHi: bodyHi + 0.1, cabHi: Math.max(cabHi, 1.75) + 0.2, cabRear: 0.1, cabFront: 0.7, rearSlope: 0.05, frontSlope: 0.35 };
  }
  if (hatch) return { len: len - 0.3, wid, bodyLo: 0.28, bodyHi, cabHi, cabRear: 0.15, cabFront, rearSlope: 0.2, frontSlope };
  return { len, wid, bodyLo: 0.28, bodyHi, cabHi, cabRear, cabFront, rearSlope, frontSlope };
}

export function drawCars(ctx: SceneCtx): void {
  const { road, knobs } = ctx;
  const n = carCount(stream(ctx, 'cars').float(), knobs.priorShift);
  const camLat = -road.x0;
  for (let i = 0; i < n; i++) {
    const rng = stream(ctx, 'car', i);
    const shape = sampleShape(rng, knobs.shapeShift);
    const paint = sampleColour(rng, 'paint', knobs.palette);
    const glass = sampleColour(rng, 'glass', knobs.palette);
    for (let attempt = 0; attempt < 6; attempt++) {
      const parked = rng.float() < 0.35;
      const side = rng.float() < 0.5 ? -1 : 1;
      const lane = rng.int(road.lanes);
      const zU = rng.float();
      const jitter = rng.range(-0.3, 0.3);
      let lat: number, z: number;
      if (parked) {
        lat = side * (road.half - shape.wid / 2 - 0.25);
        z = 3 + Math.pow(zU, 1.3) * 50;
      } else {
        lat = -road.half + road.laneW * (lane + 0.5) + jitter;
        z = 5 + Math.pow(zU, 1.6) * 55;
      }
      const oncoming = lat < 0;
      if (Math.abs(lat - camLat) < road.laneW * 0.6 && z < 9) continue;
      const z0 = z - shape.len / 2 - 1, z1 = z + shape.len / 2 + 1;
      const l0 = lat - shape.wid / 2 - 0.3, l1 = lat + shape.wid / 2 + 0.3;
      if (overlapsOccupied(ctx, z0, z1, l0, l1)) continue;
      ctx.occupied.push({ z0, z1, l0, l1 });
      const heading = roadHeading(road, z) + (oncoming ? Math.PI : 0) + (parked ? 0 : rng.range(-0.03, 0.03));
      drawCar(ctx, { ...shape, x: roadX(road, z) + lat, z, heading, paint, glass });
      break;
    }
  }
}

/** World point of car-local (x right, y up, z forward). */
function toWorld(c: CarSpec, x: number, y: number, z: number, out: number[]): void {
  const sh = Math.sin(c.heading), ch = Math.cos(c.heading);
  out.push(c.x + x * ch + z * sh, y, c.z - x * sh + z * ch);
}

/**
 * Draw a frustum between a bottom rectangle (|x| ≤ wb, z ∈ [zb0, zb1], y = y0) and a top
 * rectangle (|x| ≤ wt, z ∈ [zt0, zt1], y = y1); faces whose outward normal faces the camera.
 * face(name) gives each face's fragment; uv: sides (z, y), rear/front (x, y), top (x, z).
 */
function drawFrustum(ctx: SceneCtx, c: CarSpec, y0: number, y1: number, wb: number, zb0: number, zb1: number,
  wt: number, zt0: number, zt1: number, face: (name: 'left' | 'right' | 'rear' | 'front' | 'top') => Frag): void {
  const B = [[-wb, y0, zb0], [wb, y0, zb0], [wb, y0, zb1], [-wb, y0, zb1]];
  const T = [[-wt, y1, zt0], [wt, y1, zt0], [wt, y1, zt1], [-wt, y1, zt1]];
  const faces: { name: 'left' | 'right' | 'rear' | 'front' | 'top'; v: number[][]; uv: (p: number[]) => [number, number] }[] = [
    { name: 'rear', v: [B[0]!, B[1]!, T[1]!, T[0]!], uv: (p) => [p[0]!, p[1]!] },
    { name: 'front', v: [B[2]!, B[3]!, T[3]!, T[2]!], uv: (p) => [p[0]!, p[1]!] },
    { name: 'left', v: [B[3]!, B[0]!, T[0]!, T[3]!], uv: (p) => [p[2]!, p[1]!] },
    { name: 'right', v: [B[1]!, B[2]!, T[2]!, T[1]!], uv: (p) => [p[2]!, p[1]!] },
    { name: 'top', v: [T[0]!, T[1]!, T[2]!, T[3]!], uv: (p) => [p[0]!, p[2]!] },
  ];
  const cx = 0, cy = (y0 + y1) / 2, cz = (zb0 + zb1 + zt0 + zt1) / 4;
  const cam = ctx.cam;
  for (const f of faces) {
    const w: number[] = [];
    for (const p of f.v) toWorld(c, p[0]!, p[1]!, p[2]!, w);
    // Outward normal (oriented away from the frustum centre), then the camera test.
    const ax = w[3]! - w[0]!, ay = w[4]! - w[1]!, az = w[5]! - w[2]!;
    const bx = w[9]! - w[0]!, by = w[10]! - w[1]!, bz = w[11]! - w[2]!;
    let nx = ay * bz - az * by, ny = az * bx - ax * bz, nz = ax * by - ay * bx;
    const fc = [0, 0, 0];
    for (let k = 0; k < 4; k++) { fc[0]! += w[3 * k]! / 4; fc[1]! += w[3 * k + 1]! / 4; fc[2]! += w[3 * k + 2]! / 4; }
    const cw: number[] = [];
    toWorld(c, cx, cy, cz, cw);
    if (nx * (fc[0]! - cw[0]!) + ny * (fc[1]! - cw[1]!) + nz * (fc[2]! - cw[2]!) < 0) { nx = -nx; ny = -ny; nz = -nz; }
    if (nx * (0 - fc[0]!) + ny * (cam.camHeight - fc[1]!) + nz * (0 - fc[2]!) <= 0) continue;
    const uv: number[] = [];
    for (const p of f.v) uv.push(...f.uv(p));
    fillPolygon(ctx.fb, w, uv, face(f.name));
  }
}

function drawCar(ctx: SceneCtx, c: CarSpec): void {
  const parts = ctx.fb.parts;
  const paintSide = parts.add(CLS.car, MAT.paint, shadeRGB(c.paint, 0.82));
  const paintBack = parts.add(CLS.car, MAT.paint, shadeRGB(c.paint, 0.95));
  const paintTop = parts.add(CLS.car, MAT.paint, shadeRGB(c.paint, 1.1));
  const glass = parts.add(CLS.car, MAT.glass, c.glass);
  const glassSide = parts.add(CLS.car, MAT.glass, shadeRGB(c.glass, 0.85));
  const tyre = parts.add(CLS.car, MAT.tyre, [0.08, 0.08, 0.08]);
  const rim = parts.add(CLS.car, MAT.metal, [0.55, 0.55, 0.57]);
  const tail = parts.add(CLS.car, MAT.lamp, [0.95, 0.1, 0.08]);
  const head = parts.add(CLS.car, MAT.lamp, [1, 0.97, 0.8]);
  const plate = parts.add(CLS.car, MAT.paint, [0.92, 0.92, 0.88]);
  const dark = parts.add(CLS.car, MAT.tyre, [0.12, 0.12, 0.13]);
  const hw = c.wid / 2, hl = c.len / 2;
  const { bodyLo, bodyHi, cabHi } = c;
  const lightY0 = bodyHi - 0.26, lightY1 = bodyHi - 0.08;
  const bodyFace = (name: string): Frag => {
    if (name === 'rear' || name === 'front') {
      const lamp = name === 'rear' ? tail : head;
      return (u, v) => {
        const au = Math.abs(u);
        if (v > lightY0 && v < lightY1 && au > hw - 0.38 && au < hw - 0.05) return lamp;
        if (au < 0.26 && v > bodyLo + 0.12 && v < bodyLo + 0.26) return plate;
        if (name === 'front' && au < hw - 0.45 && v > lightY0 && v < lightY1) return dark;
        return paintBack;
      };
    }
    return name === 'top' ? () => paintTop : () => paintSide;
  };
  drawFrustum(ctx, c, bodyLo, bodyHi, hw, -hl, hl, hw, -hl, hl, bodyFace);
  // Cabin.
  const cw = hw - 0.08, ct = hw - 0.16;
  const zb0 = -hl + c.cabRear, zb1 = hl - c.cabFront;
  const zt0 = zb0 + c.rearSlope, zt1 = zb1 - c.frontSlope;
  const cabFace = (name: string): Frag => {
    if (name === 'top') return () => paintTop;
    if (name === 'rear' || name === 'front') {
      return (u, v) => (v > bodyHi + 0.05 && v < cabHi - 0.06 && Math.abs(u) < ct - 0.08 ? glass : paintBack);
    }
    const mid = (zb0 + zb1) / 2;
    return (u, v) => (v > bodyHi + 0.06 && v < cabHi - 0.07 && u > zb0 + 0.15 + (v - bodyHi) * 0.6 && u < zb1 - 0.1 - (v - bodyHi) * 0.9 && Math.abs(u - mid) > 0.05 ? glassSide : paintSide);
  };
  drawFrustum(ctx, c, bodyHi, cabHi, cw, zb0, zb1, ct, zt0, zt1, cabFace);
  // Wheels: discs on both sides (the z-buffer hides the far side), blocks under the body.
  const r = 0.32;
  const axles = [-hl + 0.8, hl - 0.85];
  for (const sx of [-1, 1]) {
    for (const az of axles) {
      const w: number[] = [], uv: number[] = [];
      for (let k = 0; k < 8; k++) {
        const a = (k / 8) * Math.PI * 2;
        toWorld(c, sx * (hw + 0.01), r + r * Math.sin(a), az + r * Math.cos(a), w);
        uv.push(r * Math.cos(a), r * Math.sin(a));
      }
      fillPolygon(ctx.fb, w, uv, (u, v) => (u * u + v * v < 0.03 ? rim : tyre));
      const q: number[] = [];
      const xi = sx * (hw - 0.3), xo = sx * (hw - 0.03);
      toWorld(c, xi, 0, az, q); toWorld(c, xo, 0, az, q); toWorld(c, xo, 0.5, az, q); toWorld(c, xi, 0.5, az, q);
      fillPolygon(ctx.fb, q, [0, 0, 1, 0, 1, 1, 0, 1], () => tyre);
    }
  }
}
