/**
 * What every scene module of the SynthStreet generator shares: the frame buffers, the camera,
 * the sampled road, the layout knobs, the frame's random streams, and small sampling helpers.
 *
 * Layout determinism: each module draws from its own stream `ctx.stream(name, i)` (derived from
 * the frame seed, independent of draw order), and every helper draws the same count of numbers
 * whatever the severities, so changing a knob changes values, never which numbers are drawn.
 */
import type { Camera } from '../camera.js';
import type { FrameBuffers } from '../raster.js';
import { Rng } from '../../rng.js';

export interface LayoutKnobs {
  readonly priorShift: number;
  readonly shapeShift: number;
  readonly palette: number;
}

export interface Road {
  /** Centre line X_r(Z) = x0 + slope·Z + curv·Z²/2 (metres). */
  readonly x0: number;
  readonly slope: number;
  readonly curv: number;
  /** Half the carriageway width. */
  readonly half: number;
  readonly lanes: number;
  readonly laneW: number;
  /** Sidewalk widths, index 0 = left (side −1), 1 = right (side +1). */
  readonly sidewalk: readonly [number, number];
  /** Lane markings: dashed white lane lines, a double yellow centre line, or none. */
  readonly marking: 'dashed' | 'yellow' | 'none';
  readonly crosswalk: { readonly z0: number; readonly z1: number } | null;
  /** The near-plane-visible Z range the scene fills. */
  readonly zMax: number;
}

/** A sidewalk-side index (0 left, 1 right) from a side sign (−1 / +1). */
export const sideIndex = (side: number): 0 | 1 => (side < 0 ? 0 : 1);

export function roadX(road: Road, z: number): number {
  return road.x0 + road.slope * z + 0.5 * road.curv * z * z;
}

/** Road heading at Z (radians from +Z toward +X). */
export function roadHeading(road: Road, z: number): number {
  return Math.atan(road.slope + road.curv * z);
}

/** Lateral distance from the road centre to the outer edge of the sidewalk on `side`. */
export function sidewalkOuter(road: Road, side: number): number {
  return road.half + road.sidewalk[sideIndex(side)];
}

export interface SceneCtx {
  readonly fb: FrameBuffers;
  readonly cam: Camera;
  readonly road: Road;
  readonly knobs: LayoutKnobs;
  /** The frame's root stream key (layout). */
  readonly root: Rng;
  /** Road-surface occupancy (cars, cyclists): intervals [z0, z1] at lateral [l0, l1]. */
  readonly occupied: { z0: number; z1: number; l0: number; l1: number }[];
}

/** An independent stream for one component (and optionally one instance index). */
export function stream(ctx: SceneCtx, name: string, i = 0): Rng {
  return ctx.root.fork(name, i);
}

export const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;

/**
 * A continuous shape parameter: one uniform u; source value a0 + (a1−a0)·u, target value
 * b0 + (b1−b0)·u, blended by the shape severity s.
 */
export function shaped(rng: Rng, s: number, a0: number, a1: number, b0: number, b1: number): number {
  const u = rng.float();
  return lerp(lerp(a0, a1, u), lerp(b0, b1, u), s);
}

/** A discrete target variant: true with probability s·p (one draw). */
export function variant(rng: Rng, s: number, p = 1): boolean {
  return rng.float() < s * p;
}

export function overlapsOccupied(ctx: SceneCtx, z0: number, z1: number, l0: number, l1: number): boolean {
  for (const o of ctx.occupied) {
    if (z0 < o.z1 && z1 > o.z0 && l0 < o.l1 && l1 > o.l0) return true;
  }
  return false;
}
