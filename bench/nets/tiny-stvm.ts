/**
 * The tiny STvM setting shared by the method tests (test/method/stvm-helpers.ts) and the device
 * check's STvM agreement stage (bench/device-stages.ts): a 5-class DeepLab of width 8–16, 32×24
 * crops, and a label-free target set of smooth colour blobs on 40×30 frames.
 */
import type { UnlabelledDataset } from '../../lib/data/datasets/types.js';
import { Rng } from '../../lib/util/rng.js';
import { smallDeepLabSpec, type DeepLabSpec } from '../../lib/engine/models/index.js';

export const TINY_SPEC: DeepLabSpec = smallDeepLabSpec({ widths: [8, 8, 16, 16], stemWidth: 8, numClasses: 5, asppDilations: [1, 2], seed: 3 });
export const CROP: [number, number] = [32, 24]; // [width, height]

/** n random-ish images (smooth colour blobs) of 40×30, no labels. */
export function tinyTargets(n = 6, seed = 7): UnlabelledDataset {
  const imgs = Array.from({ length: n }, (_, k) => {
    const r = new Rng(['tiny-target', seed, k]);
    const w = 40, h = 30;
    const data = new Uint8Array(w * h * 3);
    const cx = r.range(0, w), cy = r.range(0, h), col = [r.int(256), r.int(256), r.int(256)];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - cx, y - cy) < 10 ? 1 : 0;
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = d ? col[c]! : (x * 5 + y * 3 + c * 40 + r.int(20)) & 255;
    }
    return { width: w, height: h, channels: 3 as const, data };
  });
  return { labelled: false, id: 'tiny', size: n, name: (i) => `t${i}`, readImage: async (i) => imgs[i]! };
}
