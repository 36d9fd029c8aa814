/** An 8-bit RGB image, row-major, interleaved: data[(y * width + x) * 3 + c]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly data: Uint8Array;
}

/** Any 8-bit interleaved raster (1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA). */
export interface Raster8 {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Uint8Array;
}

/**
 * A single-channel label map holding the raw stored values (never interpolated, never
 * colour-managed): palette PNGs give palette indices, 16-bit PNGs give Uint16Array values.
 * bitDepth is the PNG sample depth (1/2/4-bit samples are unpacked into a Uint8Array).
 */
export interface LabelImage {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: 1 | 2 | 4 | 8 | 16;
  readonly data: Uint8Array | Uint16Array;
}
