/**
 * Colour maps and overlays of label / prediction maps.
 *
 *   colour(x)  = palette[label(x)]                 (ignore / out-of-palette → ignoreColor)
 *   overlay(x) = round((1 − α)·image(x) + α·colour(x))  for labelled pixels,
 *              = image(x)                                for ignored pixels
 */
import { writePng } from '../data/io/image.js';
import type { RgbImage } from '../data/io/types.js';
import type { TrainIdLabel } from '../data/datasets/types.js';

export type Palette = readonly (readonly [number, number, number])[];

/** RGB colour map of a label map. */
export function colorizeLabel(label: TrainIdLabel, palette: Palette, ignoreColor: readonly [number, number, number] = [0, 0, 0]): RgbImage {
  const n = label.width * label.height;
  if (label.data.length !== n) throw new Error('colorizeLabel: data length differs from width × height');
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const c = palette[v] ?? ignoreColor;
    lut.set(c, v * 3);
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const o = label.data[i]! * 3;
    out[3 * i] = lut[o]!;
    out[3 * i + 1] = lut[o + 1]!;
    out[3 * i + 2] = lut[o + 2]!;
  }
  return { width: label.width, height: label.height, channels: 3, data: out };
}

/** Blends the image with the label's colours (α in [0, 1]); ignored pixels keep the image. */
export function overlayLabel(image: RgbImage, label: TrainIdLabel, palette: Palette, alpha = 0.5): RgbImage {
  if (image.width !== label.width || image.height !== label.height) {
    throw new Error(`overlayLabel: image ${image.width}x${image.height} and label ${label.width}x${label.height} differ`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`overlayLabel: alpha ${alpha} outside [0, 1]`);
  const colour = colorizeLabel(label, palette);
  const out = new Uint8Array(image.data.length);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const labelled = label.data[i]! < palette.length;
    for (let c = 0; c < 3; c++) {
      const k = 3 * i + c;
      out[k] = labelled ? Math.round((1 - alpha) * image.data[k]! + alpha * colour.data[k]!) : image.data[k]!;
    }
  }
  return { width: image.width, height: image.height, channels: 3, data: out };
}

/** Writes the colour map of a label as PNG. */
export async function writeColorPng(path: string, label: TrainIdLabel, palette: Palette): Promise<void> {
  await writePng(path, colorizeLabel(label, palette));
}

/** Writes the image/label overlay as PNG. */
export async function writeOverlayPng(path: string, image: RgbImage, label: TrainIdLabel, palette: Palette, alpha = 0.5): Promise<void> {
  await writePng(path, overlayLabel(image, label, palette, alpha));
}
