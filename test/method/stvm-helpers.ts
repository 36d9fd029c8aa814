/**
 * Shared pieces of the STvM tests: a tiny DeepLab, an in-memory label-free target dataset and
 * an algorithm factory (in-thread runners, 1 thread).
 */
import { CROP, TINY_SPEC, tinyTargets } from '../../bench/nets/tiny-stvm.js';
import { stvmConfig, type StvmConfig } from '../../lib/method/stvm/config.js';
import { StvmAlgorithm, TargetBatches, type StvmAlgorithmOptions } from '../../lib/method/stvm/index.js';

export { CROP, TINY_SPEC, tinyTargets } from '../../bench/nets/tiny-stvm.js';

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
