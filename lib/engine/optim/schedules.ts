/**
 * Learning-rate schedules: pure functions lr(step) of the 0-based optimiser step (the value
 * fed to the step graph's `lr` input at that step). Parameter-group multipliers (head ×10,
 * proxies ×100) are applied inside the step graph, so a schedule gives the base rate only.
 *
 *   poly:    lr(t) = (base − min)·(1 − min(t,T)/T)^power + min        (PolynomialLR when min = 0;
 *                                                                      DeepLab's poly, power 0.9)
 *   cosine:  lr(t) = min + (base − min)·(1 + cos(π·min(t,T)/T))/2      (CosineAnnealingLR)
 *   warm-up: lr(t) = inner(0)·(f + (1−f)·t/W) for t < W, inner(t − W) after
 *            (SequentialLR([LinearLR(start_factor=f, total_iters=W), inner], milestones=[W]))
 */
import { ConfigError } from './config.js';

export type Schedule = (step: number) => number;

export interface PolyOptions {
  readonly base: number;
  /** T: the step at which the rate reaches `minLr`. */
  readonly maxSteps: number;
  /** Default 0.9 (DeepLab). */
  readonly power?: number;
  /** Default 0. */
  readonly minLr?: number;
}

export interface CosineOptions {
  readonly base: number;
  readonly maxSteps: number;
  readonly minLr?: number;
}

export interface WarmupOptions {
  /** W: number of warm-up steps. */
  readonly steps: number;
  /** f: the warm-up starts at f·inner(0) and rises linearly to inner(0) at step W. */
  readonly startFactor: number;
}

export function constantLr(base: number): Schedule {
  return () => base;
}

export function polyLr(o: PolyOptions): Schedule {
  const power = o.power ?? 0.9;
  const min = o.minLr ?? 0;
  return (t) => (o.base - min) * Math.pow(1 - Math.min(t, o.maxSteps) / o.maxSteps, power) + min;
}

export function cosineLr(o: CosineOptions): Schedule {
  const min = o.minLr ?? 0;
  return (t) => min + ((o.base - min) * (1 + Math.cos((Math.PI * Math.min(t, o.maxSteps)) / o.maxSteps))) / 2;
}

/** Linear warm-up in front of any schedule; the inner schedule starts counting after it. */
export function withWarmup(inner: Schedule, o: WarmupOptions): Schedule {
  const base = inner(0);
  return (t) => (t < o.steps ? base * (o.startFactor + ((1 - o.startFactor) * t) / o.steps) : inner(t - o.steps));
}

/** A schedule as a typed config (e.g. from a run's JSON config). */
export type ScheduleConfig =
  | { readonly kind: 'constant'; readonly base: number; readonly warmup?: WarmupOptions }
  | ({ readonly kind: 'poly'; readonly warmup?: WarmupOptions } & PolyOptions)
  | ({ readonly kind: 'cosine'; readonly warmup?: WarmupOptions } & CosineOptions);

/** Validates a schedule config (errors name the field under `where`) and builds it. */
export function makeSchedule(cfg: ScheduleConfig, where = 'schedule'): Schedule {
  const pos = (field: string, v: unknown, allowZero = false): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new ConfigError(`${where}.${field} must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${JSON.stringify(v)})`);
    }
  };
  if (typeof cfg !== 'object' || cfg === null) throw new ConfigError(`${where} must be an object`);
  if (!['constant', 'poly', 'cosine'].includes(cfg.kind)) {
    throw new ConfigError(`${where}.kind must be 'constant', 'poly' or 'cosine' (got ${JSON.stringify((cfg as { kind?: unknown }).kind)})`);
  }
  pos('base', cfg.base, true);
  let s: Schedule;
  switch (cfg.kind) {
    case 'constant':
      s = constantLr(cfg.base);
      break;
    case 'poly':
      pos('maxSteps', cfg.maxSteps);
      if (cfg.power !== undefined) pos('power', cfg.power, true);
      if (cfg.minLr !== undefined) pos('minLr', cfg.minLr, true);
      s = polyLr(cfg);
      break;
    case 'cosine':
      pos('maxSteps', cfg.maxSteps);
      if (cfg.minLr !== undefined) pos('minLr', cfg.minLr, true);
      s = cosineLr(cfg);
      break;
    default:
      throw new ConfigError(`${where}.kind: unknown schedule`);
  }
  if (cfg.warmup !== undefined) {
    pos('warmup.steps', cfg.warmup.steps);
    const f = cfg.warmup.startFactor;
    if (typeof f !== 'number' || !(f > 0 && f <= 1)) throw new ConfigError(`${where}.warmup.startFactor must be in (0, 1] (got ${JSON.stringify(f)})`);
    s = withWarmup(s, cfg.warmup);
  }
  return s;
}
