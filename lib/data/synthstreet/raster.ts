/**
 * Geometry pass of the SynthStreet renderer: a z-buffer rasteriser of planar convex polygons.
 *
 * Every pixel ends up with the nearest surface's camera depth, a *part* id (an entry of the
 * frame's part table: class id, material, base colour, two material parameters) and the surface
 * coordinates (u, v) in metres of the hit point, which the shading pass uses for procedural
 * textures. Polygons are clipped against the near plane in camera space; depth and (u, v) are
 * interpolated perspective-correctly (1/z, u/z, v/z are affine in screen space). Pixel centres
 * are sampled once (no anti-aliasing): clean edges, exact labels.
 */
import type { Camera } from './camera.js';
import type { Material } from './materials.js';
import { scratch } from './scratch.js';

/** Fragment function: local surface coordinates (metres) → part id, or −1 to discard. */
export type Frag = (u: number, v: number) => number;

export const NEAR = 0.05;
export const SKY_DEPTH = Infinity;

export class PartTable {
  readonly cls: number[] = [];
  readonly mat: number[] = [];
  readonly r: number[] = [];
  readonly g: number[] = [];
  readonly b: number[] = [];
  /** Material parameters (e.g. window grid spacing), meaning per material. */
  readonly p0: number[] = [];
  readonly p1: number[] = [];
  /** Per-part random key (texture offsets, lit windows). */
  readonly key: number[] = [];

  add(cls: number, mat: Material, rgb: readonly [number, number, number], p0 = 0, p1 = 0): number {
    const id = this.cls.length;
    if (id >= 65535) throw new Error('SynthStreet: too many parts in one frame');
    this.cls.push(cls); this.mat.push(mat);
    this.r.push(rgb[0]); this.g.push(rgb[1]); this.b.push(rgb[2]);
    this.p0.push(p0); this.p1.push(p1);
    this.key.push((Math.imul(id + 1, 0x9e3779b1) >>> 8) & 0xffff);
    return id;
  }

  get size(): number {
    return this.cls.length;
  }
}

export class FrameBuffers {
  readonly n: number;
  /** Camera depth z_c per pixel; Infinity where only sky is seen. */
  readonly depth: Float32Array;
  readonly part: Uint16Array;
  readonly su: Float32Array;
  readonly sv: Float32Array;
  readonly parts = new PartTable();

  constructor(readonly cam: Camera) {
    this.n = cam.width * cam.height;
    // Scratch storage: valid until the next FrameBuffers of this thread is created.
    this.depth = scratch('fb.depth', Float32Array, this.n, SKY_DEPTH);
    this.part = scratch('fb.part', Uint16Array, this.n, 0);
    this.su = scratch('fb.su', Float32Array, this.n, 0);
    this.sv = scratch('fb.sv', Float32Array, this.n, 0);
  }

  /** Label map (H×W uint8) from the part ids. */
  labels(): Uint8Array {
    const out = new Uint8Array(this.n);
    const cls = this.parts.cls;
    for (let i = 0; i < this.n; i++) out[i] = cls[this.part[i]!]!;
    return out;
  }
}

// Scratch arrays for clipping (polygons have at most 8 vertices after one clip).
const MAXV = 16;
const cx0 = new Float64Array(MAXV), cy0 = new Float64Array(MAXV), cz0 = new Float64Array(MAXV);
const cu0 = new Float64Array(MAXV), cv0 = new Float64Array(MAXV);
const cx1 = new Float64Array(MAXV), cy1 = new Float64Array(MAXV), cz1 = new Float64Array(MAXV);
const cu1 = new Float64Array(MAXV), cv1 = new Float64Array(MAXV);
const sxA = new Float64Array(MAXV), syA = new Float64Array(MAXV);

/**
 * Rasterise a planar convex polygon.
 * @param pts  world vertices [X0,Y0,Z0, X1,Y1,Z1, ...] (3–8 vertices, in order)
 * @param uvs  surface coordinates per vertex [u0,v0, u1,v1, ...] (metres)
 * @param frag maps (u, v) to a part id (or −1: transparent)
 * @param bias subtracted from the depth before the test (puts decals in front of coplanar surfaces)
 */
export function fillPolygon(fb: FrameBuffers, pts: ArrayLike<number>, uvs: ArrayLike<number>, frag: Frag, bias = 0): void {
  const cam = fb.cam;
  const nIn = pts.length / 3;
  if (nIn < 3 || nIn > 8) throw new Error(`fillPolygon: ${nIn} vertices`);
  const sp = cam.sinP, cp = cam.cosP, h = cam.camHeight;
  // To camera space.
  let allNear = true;
  for (let i = 0; i < nIn; i++) {
    const X = pts[3 * i]!, d = pts[3 * i + 1]! - h, Z = pts[3 * i + 2]!;
    cx0[i] = X; cy0[i] = d * cp + Z * sp; cz0[i] = -d * sp + Z * cp;
    cu0[i] = uvs[2 * i]!; cv0[i] = uvs[2 * i + 1]!;
    if (cz0[i]! >= NEAR) allNear = false;
  }
  if (allNear) return;
  // Clip against z_c ≥ NEAR (Sutherland–Hodgman, one plane).
  let n = 0;
  for (let i = 0; i < nIn; i++) {
    const j = (i + 1) % nIn;
    const zi = cz0[i]!, zj = cz0[j]!;
    const inI = zi >= NEAR, inJ = zj >= NEAR;
    if (inI) { cx1[n] = cx0[i]!; cy1[n] = cy0[i]!; cz1[n] = zi; cu1[n] = cu0[i]!; cv1[n] = cv0[i]!; n++; }
    if (inI !== inJ) {
      const t = (NEAR - zi) / (zj - zi);
      cx1[n] = cx0[i]! + t * (cx0[j]! - cx0[i]!);
      cy1[n] = cy0[i]! + t * (cy0[j]! - cy0[i]!);
      cz1[n] = NEAR;
      cu1[n] = cu0[i]! + t * (cu0[j]! - cu0[i]!);
      cv1[n] = cv0[i]! + t * (cv0[j]! - cv0[i]!);
      n++;
    }
  }
  if (n < 3) return;
  // Project; bounding box.
  const f = cam.f, ccx = cam.cx, ccy = cam.cy;
  let minY = Infinity, maxY = -Infinity, minX = Infinity, maxX = -Infinity;
  for (let i = 0; i < n; i++) {
    const iz = 1 / cz1[i]!;
    const sx = ccx + f * cx1[i]! * iz, sy = ccy - f * cy1[i]! * iz;
    sxA[i] = sx; syA[i] = sy;
    if (sy < minY) minY = sy;
    if (sy > maxY) maxY = sy;
    if (sx < minX) minX = sx;
    if (sx > maxX) maxX = sx;
  }
  const W = cam.width, H = cam.height;
  if (maxX < 0 || minX > W || maxY < 0 || minY > H) return;
  // Plane fit for 1/z, u/z, v/z from the vertex triple with the largest screen area.
  let best = 0, bi = 0, bj = 1, bk = 2;
  for (let j = 1; j < n - 1; j++) {
    for (let k = j + 1; k < n; k++) {
      const a = Math.abs((sxA[j]! - sxA[0]!) * (syA[k]! - syA[0]!) - (sxA[k]! - sxA[0]!) * (syA[j]! - syA[0]!));
      if (a > best) { best = a; bi = 0; bj = j; bk = k; }
    }
  }
  if (best < 1e-6) return;
  const x0 = sxA[bi]!, y0 = syA[bi]!, x1 = sxA[bj]!, y1 = syA[bj]!, x2 = sxA[bk]!, y2 = syA[bk]!;
  const det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  const fit = (a0: number, a1: number, a2: number): [number, number, number] => {
    const B = ((a1 - a0) * (y2 - y0) - (a2 - a0) * (y1 - y0)) / det;
    const C = ((x1 - x0) * (a2 - a0) - (x2 - x0) * (a1 - a0)) / det;
    return [a0 - B * x0 - C * y0, B, C];
  };
  const iz0 = 1 / cz1[bi]!, iz1 = 1 / cz1[bj]!, iz2 = 1 / cz1[bk]!;
  const [zA, zB, zC] = fit(iz0, iz1, iz2);
  const [uA, uB, uC] = fit(cu1[bi]! * iz0, cu1[bj]! * iz1, cu1[bk]! * iz2);
  const [vA, vB, vC] = fit(cv1[bi]! * iz0, cv1[bj]! * iz1, cv1[bk]! * iz2);

  const depth = fb.depth, part = fb.part, su = fb.su, sv = fb.sv;
  const rowStart = Math.max(0, Math.ceil(minY - 0.5));
  const rowEnd = Math.min(H - 1, Math.floor(maxY - 0.5));
  for (let py = rowStart; py <= rowEnd; py++) {
    const yc = py + 0.5;
    let xl = Infinity, xr = -Infinity;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const ya = syA[i]!, yb = syA[j]!;
      if ((yc >= ya && yc < yb) || (yc >= yb && yc < ya)) {
        const x = sxA[i]! + (yc - ya) * (sxA[j]! - sxA[i]!) / (yb - ya);
        if (x < xl) xl = x;
        if (x > xr) xr = x;
      }
    }
    if (!(xr > xl)) continue;
    const colStart = Math.max(0, Math.ceil(xl - 0.5));
    const colEnd = Math.min(W - 1, Math.ceil(xr - 0.5) - 1);
    const row = py * W;
    for (let px = colStart; px <= colEnd; px++) {
      const xc = px + 0.5;
      let iz = zA + zB * xc + zC * yc;
      if (iz <= 1e-9) iz = 1e-9;
      const z = 1 / iz - bias;
      const idx = row + px;
      if (z >= depth[idx]!) continue;
      const u = (uA + uB * xc + uC * yc) / iz;
      const v = (vA + vB * xc + vC * yc) / iz;
      const p = frag(u, v);
      if (p < 0) continue;
      depth[idx] = z;
      part[idx] = p;
      su[idx] = u;
      sv[idx] = v;
    }
  }
}

/**
 * A camera-facing vertical rectangle standing at world (X, ·, Z): u ∈ [−halfW, halfW] (metres,
 * positive to the right), v ∈ [y0, y1] (height above the ground, metres).
 */
export function fillBillboard(fb: FrameBuffers, X: number, Z: number, halfW: number, y0: number, y1: number, frag: Frag, bias = 0): void {
  fillPolygon(fb,
    [X - halfW, y0, Z, X + halfW, y0, Z, X + halfW, y1, Z, X - halfW, y1, Z],
    [-halfW, y0, halfW, y0, halfW, y1, -halfW, y1],
    frag, bias);
}

/** A whole-surface fragment (one part everywhere). */
export const solid = (part: number): Frag => () => part;

/** A camera-facing rectangle centred at height cy: u ∈ [−hw, hw], v ∈ [−hh, hh] (metres). */
export function fillCentred(fb: FrameBuffers, X: number, Z: number, hw: number, cy: number, hh: number, frag: Frag, bias = 0): void {
  fillPolygon(fb, [X - hw, cy - hh, Z, X + hw, cy - hh, Z, X + hw, cy + hh, Z, X - hw, cy + hh, Z],
    [-hw, -hh, hw, -hh, hw, hh, -hw, hh], frag, bias);
}
