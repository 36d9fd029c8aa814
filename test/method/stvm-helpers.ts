/**
 * Shared pieces of the STvM tests: a tiny DeepLab, an in-memory label-free target dataset and
 * an algorithm factory (in-thread runners, 1 thread).
 */
import type { UnlabelledDataset } from '../../lib/data/datasets/types.js';
import { Rng } from '../../lib/data/rng.js';
import { smallDeepLabSpec, type DeepLabSpec } from '../../lib/engine/models/index.js';
import { stvmConfig, type StvmConfig } from '../../lib/method/stvm/config.js';
import { StvmAlgorithm, TargetBatches, type StvmAlgorithmOptions } from '../../lib/method/stvm/index.js';

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

export function tinyConfig(over: Record<string, unknown> = {}): StvmConfig {
  // frozen source BN unless a test sets stvm.bn (the mechanics tests were written for it; the
  // default 'adabn-train' needs the AdaBN pass of adapt-run, which these in-process tests skip)
  return stvmConfig({ metric: { hidden: 16, dim: 8, warmupIters: 0, maxLocations: 20 }, student: { lr: 0.01 }, bn: { mode: 'frozen-source' }, ...over });
}

export async function tinyAlgorithm(cfg: StvmConfig, extra: Partial<StvmAlgorithmOptions> = {}): Promise<StvmAlgorithm> {
  const batches = new TargetBatches(tinyTargets(), { batch: 2, seed: 5, augment: { crop: CROP, flip: 0.5 }, normalize: {} });
  return StvmAlgorithm.create({
    cfg, seed: 11, iterations: 10, batch: 2, crop: CROP, net: { spec: TINY_SPEC, allowInit: true }, numClasses: TINY_SPEC.numClasses,
    normalize: {}, batches, runner: { inThread: true, threads: 1 }, ...extra,
  });
}
