/**
 * Sample pictures: a grid with one column per frame, the image in the first row and the
 * label's CamVid colour map in the second; optional integer box downscale (for small docs).
 */
import { colourizeLabel } from './classes.js';
import type { SynthFrame } from './generator.js';

export interface Rgb8 { readonly width: number; readonly height: number; readonly channels: 3; readonly data: Uint8Array }

/** Box-downscale an HWC RGB raster by an integer factor (size rounded down). */
export function downscaleRgb(data: Uint8Array, w: number, h: number, k: number): Rgb8 {
  if (!Number.isInteger(k) || k < 1) throw new Error(`downscale factor must be a positive integer, got ${k}`);
  const w2 = Math.floor(w / k), h2 = Math.floor(h / k);
  const out = new Uint8Array(w2 * h2 * 3);
  for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) s += data[((y * k + dy) * w + x * k + dx) * 3 + c]!;
    out[(y * w2 + x) * 3 + c] = Math.round(s / (k * k));
  }
  return { width: w2, height: h2, channels: 3, data: out };
}

/** Grid of frames (row 1) and label colour maps (row 2), 2-pixel white gutters. */
export function frameGrid(frames: readonly SynthFrame[], scale = 1): Rgb8 {
  if (frames.length === 0) throw new Error('frameGrid: no frames');
  const tiles = frames.map((f) => [
    downscaleRgb(f.image, f.width, f.height, scale),
    downscaleRgb(colourizeLabel(f.label), f.width, f.height, scale),
  ] as const);
  const tw = tiles[0]![0].width, th = tiles[0]![0].height, g = 2;
  const W = frames.length * tw + (frames.length - 1) * g, H = 2 * th + g;
  const out = new Uint8Array(W * H * 3).fill(255);
  tiles.forEach(([img, lab], c) => {
    for (const [r, t] of [[0, img], [1, lab]] as const) {
      for (let y = 0; y < th; y++) {
        const dst = ((r * (th + g) + y) * W + c * (tw + g)) * 3;
        out.set(t.data.subarray(y * tw * 3, (y + 1) * tw * 3), dst);
      }
    }
  });
  return { width: W, height: H, channels: 3, data: out };
}
