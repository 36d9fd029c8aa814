/**
 * Data types of the transforms. Images are interleaved 8-bit (HWC: data[(y·W + x)·C + c]);
 * labels are one class id per pixel (uint8, 255 = ignore); weight maps one float per pixel;
 * network inputs are float32 CHW (data[c·H·W + y·W + x]). Structurally compatible with the io
 * helper's RgbImage and the dataset readers' TrainIdLabel.
 */
export interface ImageU8 {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

export interface LabelU8 {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface WeightF32 {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface TensorCHW {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

/** An image with an optional label and weight map of the same size (aligned pixel for pixel). */
export interface Sample {
  readonly image: ImageU8;
  readonly label?: LabelU8;
  readonly weight?: WeightF32;
}

export const IGNORE = 255;

/** Throws unless label/weight have the image's size (a clear message naming the field). */
export function checkAligned(s: Sample, where: string): void {
  const { width, height, channels, data } = s.image;
  if (data.length !== width * height * channels) throw new Error(`${where}: image data has ${data.length} values, expected ${width}×${height}×${channels}`);
  for (const [name, m] of [['label', s.label], ['weight', s.weight]] as const) {
    if (m === undefined) continue;
    if (m.width !== width || m.height !== height) throw new Error(`${where}: ${name} is ${m.width}×${m.height}, image is ${width}×${height}`);
    if (m.data.length !== width * height) throw new Error(`${where}: ${name} data has ${m.data.length} values, expected ${width * height}`);
  }
}
