/**
 * One loader sample, computed the same way in the main thread and in workers: read/generate
 * sample `index`, augment it with Rng(['loader', seed, epoch, index]), normalise to float32 CHW.
 * The result depends on (seed, epoch, index) only, never on which thread computed it.
 */
import { Rng } from '../rng.js';
import { augment, normalizeOptions, type AugmentSpec } from '../transforms/pipeline.js';
import { writeCHW } from '../transforms/normalize.js';
import type { SampleSource } from './source.js';

export interface SampleResult {
  readonly index: number;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** (C, H, W) float32, normalised. */
  readonly image: Float32Array;
  /** (H, W) uint8 class ids, or null for unlabelled sources. */
  readonly label: Uint8Array | null;
}

export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(['loader', seed, epoch, index]);
}

export async function computeSample(src: SampleSource, aug: AugmentSpec, seed: number, epoch: number, index: number): Promise<SampleResult> {
  const raw = await src.get(index);
  const s = augment(raw, aug, sampleRng(seed, epoch, index));
  const { width, height, channels } = s.image;
  const image = new Float32Array(channels * width * height);
  writeCHW(s.image, image, 0, normalizeOptions(aug));
  const label = s.label ? new Uint8Array(s.label.data) : null;
  return { index, width, height, channels, image, label };
}
