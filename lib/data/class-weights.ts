/**
 * Median frequency balancing (Eigen & Fergus 2015; SegNet's CamVid recipe), with an exponent:
 *   f_c = (pixels of class c) / (pixels of the images in which c appears),
 *   w_c = (median_c' f_c' / f_c)^p          (p = 1: the classic weights, p = 0.5 milder, p = 0: none);
 * a class never seen gets weight 1. Per-pixel weights: ω_i = w_{y_i} (0 on ignored pixels).
 */
import type { LabelledDataset } from './datasets/types.js';

export function classFrequencies(labels: Iterable<Uint8Array>, numClasses: number): Float64Array {
  const pix = new Float64Array(numClasses);
  const imgPix = new Float64Array(numClasses);
  const counts = new Float64Array(numClasses);
  for (const l of labels) {
    counts.fill(0);
    let valid = 0;
    for (const v of l) if (v < numClasses) { counts[v]!++; valid++; }
    for (let c = 0; c < numClasses; c++) if (counts[c]! > 0) { pix[c]! += counts[c]!; imgPix[c]! += valid; }
  }
  return pix.map((p, c) => (imgPix[c]! > 0 ? p / imgPix[c]! : 0));
}

export function medianFrequencyWeights(freq: Float64Array, power: number): Float32Array {
  const seen = [...freq].filter((f) => f > 0).sort((a, b) => a - b);
  if (seen.length === 0) return new Float32Array(freq.length).fill(1);
  const mid = seen.length >> 1;
  const median = seen.length % 2 ? seen[mid]! : (seen[mid - 1]! + seen[mid]!) / 2;
  return Float32Array.from(freq, (f) => (f > 0 ? Math.pow(median / f, power) : 1));
}

/** Class weights from the first `frames` labels of a dataset. */
export async function datasetClassWeights(ds: LabelledDataset, frames: number, power: number): Promise<Float32Array> {
  const labels: Uint8Array[] = [];
  for (let i = 0; i < Math.min(frames, ds.size); i++) labels.push((await ds.readLabel(i)).data);
  return medianFrequencyWeights(classFrequencies(labels, ds.protocol.numClasses), power);
}

/** Per-pixel weights of a label batch: ω_i = w[y_i], 0 where y_i is not a class. */
export function pixelWeights(labels: Uint8Array, w: Float32Array): Float32Array {
  const out = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = w[labels[i]!] ?? 0;
  return out;
}
