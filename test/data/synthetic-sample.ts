/**
 * A synthetic sample for transform tests: a blocky random label; the image is a function of
 * the label (pal) and the weight is label/10, so any misalignment is visible pixel by pixel.
 */
import { Rng } from '../../lib/data/rng.js';
import type { Sample } from '../../lib/data/transforms/index.js';

/** Colour of class c (ignore 255 → gray). */
export function pal(c: number): [number, number, number] {
  return c === 255 ? [128, 128, 128] : [(c * 53) % 256, (c * 97 + 40) % 256, (c * 151 + 80) % 256];
}

/** A blocky random label (blocks of `bs` px), its image = pal(label), its weight = label/10. */
export function syntheticSample(seed: number, w: number, h: number, bs = 8): Sample {
  const rng = new Rng(['synthetic-label', seed]);
  const bw = Math.ceil(w / bs), bh = Math.ceil(h / bs);
  const blocks = Array.from({ length: bw * bh }, () => (rng.float() < 0.1 ? 255 : rng.int(11)));
  const label = new Uint8Array(w * h), image = new Uint8Array(w * h * 3), weight = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x, c = blocks[Math.floor(y / bs) * bw + Math.floor(x / bs)]!;
    label[i] = c;
    image.set(pal(c), 3 * i);
    weight[i] = c === 255 ? 0 : c / 10;
  }
  return { image: { width: w, height: h, channels: 3, data: image }, label: { width: w, height: h, data: label }, weight: { width: w, height: h, data: weight } };
}

