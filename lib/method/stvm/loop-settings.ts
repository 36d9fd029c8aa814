/**
 * The self-training loop's switches, resolved from the STvM config (+ an optional registered
 * weighting), so that baselines are configurations of the same loop, not copies of it:
 *   weighting ∈ registry (weighting.ts): reliability (STvM) | uniform | confidence | registered
 *   mixing    ∈ none | classmix-random | mocm | mocm-rare  (stvm.mocm.enabled / .selection)
 *   metric    on | off                                  (stvm.metric.enabled)
 *   teacher   ema | fixed-source                        (stvm.teacher)
 * Inconsistent choices (reliability weights or MOCM without the metric network) are errors
 * naming the fields.
 */
import { ConfigError } from '../../config/schema.js';
import type { StvmConfig } from './config.js';
import type { MixingMode } from './mixing.js';
import { makeWeighting, type WeightFn, type Weighting } from '../weighting/index.js';

export interface LoopSettings {
  readonly weighting: Weighting;
  readonly weightFn: WeightFn;
  readonly mixing: MixingMode;
  readonly metric: boolean;
  readonly teacher: 'ema' | 'fixed-source';
  /** K_w (0 when the metric network is off). */
  readonly warmup: number;
}

export interface WeightingChoice {
  /** A registered weighting; empty or absent: stvm.weighting. */
  readonly name?: string;
  readonly params?: unknown;
}

export function loopSettings(cfg: StvmConfig, choice: WeightingChoice = {}): LoopSettings {
  const name = choice.name || cfg.weighting;
  const field = choice.name ? 'weighting.name' : 'stvm.weighting';
  let w: { weighting: Weighting; fn: WeightFn };
  try {
    w = makeWeighting(name, choice.params ?? {});
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(field, (e as Error).message);
  }
  const mixing: MixingMode = !cfg.mocm.enabled ? 'none' : cfg.mocm.selection === 'reliability' ? 'mocm' : cfg.mocm.selection === 'rare-reliable' ? 'mocm-rare' : 'classmix-random';
  const metric = cfg.metric.enabled;
  if (!metric && w.weighting.needs.reliability) throw new ConfigError(field, `weighting '${name}' needs the metric reliability, but stvm.metric.enabled is false`);
  if (!metric && (mixing === 'mocm' || mixing === 'mocm-rare')) throw new ConfigError('stvm.mocm.selection', "MOCM ('reliability', 'rare-reliable') needs the metric network (stvm.metric.enabled is false): use 'random' or disable mixing");
  return { weighting: w.weighting, weightFn: w.fn, mixing, metric, teacher: cfg.teacher, warmup: metric ? cfg.metric.warmupIters : 0 };
}
