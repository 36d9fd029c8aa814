/**
 * SynthStreet: a procedural street-scene generator with CamVid's 11 classes, deterministic from
 * a seed. `renderFrame(seed, {style, width, height})` samples a layout (camera, road, facades,
 * skyline, trees, lamps, signs, fences, cars, bicyclists, pedestrians, street furniture), draws
 * it with a z-buffer, shades it in the requested style and applies the style's camera effects.
 *
 * Streams: the layout uses Rng(['layout', seed]) (one child stream per component and
 * instance), the appearance (texture phases, lit windows, sensor noise) Rng(['appearance',
 * seed]). Two styles with equal layout knobs (priorShift, shapeShift) give identical labels
 * for a seed; the palette knob changes only colours.
 */
import { Rng, hashParts } from '../rng.js';
import { FrameBuffers } from './raster.js';
import { postProcess } from './post.js';
import { shadeFrame } from './shade.js';
import { resolveStyle, type StyleKnobs, type StyleName } from './styles.js';
import type { LayoutKnobs, SceneCtx } from './scene/context.js';
import { sampleCamera, sampleRoad } from './scene/road.js';
import { drawGroundAndSky } from './scene/ground.js';
import { drawSkyline } from './scene/skyline.js';
import { drawBuildings } from './scene/buildings.js';
import { drawTrees } from './scene/trees.js';
import { drawLamps } from './scene/poles.js';
import { drawSigns } from './scene/signs.js';
import { drawFences } from './scene/fences.js';
import { drawCars } from './scene/cars.js';
import { drawBicyclists, drawPedestrians } from './scene/people.js';
import { drawMisc } from './scene/misc.js';

export const DEFAULT_WIDTH = 240;
export const DEFAULT_HEIGHT = 180;

export interface SynthStreetOptions {
  /** A preset name (see STYLE_PRESETS) or custom knobs; default 'source'. */
  readonly style?: StyleName | string | StyleKnobs;
  /** Frame size in pixels; default 240×180 (CamVid as stored here). */
  readonly width?: number;
  readonly height?: number;
}

export interface SynthFrame {
  readonly width: number;
  readonly height: number;
  /** RGB, H×W×3 uint8 (HWC). */
  readonly image: Uint8Array;
  /** Class ids, H×W uint8: 0..10, 255 = void. */
  readonly label: Uint8Array;
}

/** The seed of frame `index` of a dataset generated with `datasetSeed`. */
export function frameSeed(datasetSeed: number, index: number): number {
  return hashParts(['synthstreet-frame', datasetSeed, index]);
}

function checkSize(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 16 || v > 8192) throw new Error(`SynthStreet: ${name} must be an integer in [16, 8192], got ${v}`);
  return v;
}

/**
 * Geometry pass only: the frame buffers of a layout (exposed for tests and tools). Their
 * arrays are per-thread scratch storage: read them before rendering the next frame.
 */
export function renderGeometry(seed: number, knobs: LayoutKnobs, width: number, height: number): FrameBuffers {
  const root = new Rng(['layout', seed]);
  const cam = sampleCamera(root.fork('camera'), knobs, width, height);
  const fb = new FrameBuffers(cam);
  const road = sampleRoad(root.fork('road'), knobs);
  const ctx: SceneCtx = { fb, cam, road, knobs, root, occupied: [] };
  drawGroundAndSky(ctx);
  drawSkyline(ctx);
  drawBuildings(ctx);
  drawTrees(ctx);
  drawLamps(ctx);
  drawSigns(ctx);
  drawFences(ctx);
  drawCars(ctx);
  drawBicyclists(ctx);
  drawPedestrians(ctx);
  drawMisc(ctx);
  return fb;
}

/** Render one frame (image + label) of `seed` in a style. */
export function renderFrame(seed: number, opts: SynthStreetOptions = {}): SynthFrame {
  const knobs: StyleKnobs = resolveStyle(opts.style ?? 'source');
  const width = checkSize('width', opts.width ?? DEFAULT_WIDTH);
  const height = checkSize('height', opts.height ?? DEFAULT_HEIGHT);
  const fb = renderGeometry(seed, knobs, width, height);
  const label = fb.labels();
  const app = new Rng(['appearance', seed]);
  const rgb = shadeFrame(fb, knobs, app.nextU32() | 0);
  const image = postProcess(rgb, width, height, knobs, app.fork('sensor'));
  return { width, height, image, label };
}

/** A generator bound to a style, size and dataset seed: frame(i) = renderFrame(frameSeed(seed, i)). */
export class SynthStreet {
  readonly width: number;
  readonly height: number;
  readonly knobs: StyleKnobs;

  constructor(readonly seed: number, opts: SynthStreetOptions = {}) {
    this.knobs = resolveStyle(opts.style ?? 'source');
    this.width = checkSize('width', opts.width ?? DEFAULT_WIDTH);
    this.height = checkSize('height', opts.height ?? DEFAULT_HEIGHT);
  }

  frame(index: number): SynthFrame {
    return renderFrame(frameSeed(this.seed, index), { style: this.knobs, width: this.width, height: this.height });
  }
}
