/**
 * Optimiser configurations (PyTorch semantics and defaults) and their validation.
 *
 * - SGD (torch.optim.SGD): d = g + wd·p; v' = μ·v + (1−τ)·d (v' = d on the first step);
 *   d' = nesterov ? d + μ·v' : v'; p' = p − lr·d'.
 * - AdamW (torch.optim.AdamW): p ← p·(1 − lr·wd); m' = β1·m + (1−β1)·g; v' = β2·v + (1−β2)·g²;
 *   p' = p − (lr / (1−β1^t)) · m' / (√v' / √(1−β2^t) + ε), t the 1-based step count.
 */
import { ConfigError } from '../../util/config-error.js';

/** torch.optim.SGD. Defaults: momentum 0, dampening 0, nesterov false, weightDecay 0. */
export interface SgdConfig {
  readonly kind: 'sgd';
  /** μ, momentum factor (0 = plain SGD). */
  readonly momentum?: number;
  /** τ, dampening of the momentum update. */
  readonly dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0, as in PyTorch). */
  readonly nesterov?: boolean;
  /** L2 weight decay added to the gradient: g + wd·p (coupled, as in torch.optim.SGD). */
  readonly weightDecay?: number;
}

/** torch.optim.AdamW. Defaults: betas (0.9, 0.999), eps 1e-8, weightDecay 0.01. */
export interface AdamWConfig {
  readonly kind: 'adamw';
  readonly beta1?: number;
  readonly beta2?: number;
  /** ε, added outside the square root (after bias correction), as PyTorch does. */
  readonly eps?: number;
  /** Decoupled weight decay: p ← p·(1 − lr·wd). */
  readonly weightDecay?: number;
}

export type OptimizerConfig = SgdConfig | AdamWConfig;

/** Every field filled in with its default. */
export type ResolvedSgd = Required<SgdConfig>;
export type ResolvedAdamW = Required<AdamWConfig>;
export type ResolvedOptimizer = ResolvedSgd | ResolvedAdamW;

/** Thrown for an invalid configuration; the message names the field (lib/config's one class). */
export { ConfigError };

function num(where: string, field: string, v: unknown, dflt: number, ok: (x: number) => boolean, rule: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new ConfigError(`${where}.${field} must be ${rule} (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * Checks an optimiser configuration and fills in PyTorch's defaults. `where` prefixes the
 * field names in error messages (e.g. 'config.student.optimizer').
 */
export function resolveOptimizer(cfg: OptimizerConfig, where = 'optimizer'): ResolvedOptimizer {
  if (typeof cfg !== 'object' || cfg === null) throw new ConfigError(`${where} must be an object`);
  const nonNeg = (x: number) => x >= 0;
  const unit = (x: number) => x >= 0 && x < 1;
  switch (cfg.kind) {
    case 'sgd': {
      const momentum = num(where, 'momentum', cfg.momentum, 0, nonNeg, 'a number ≥ 0');
      const dampening = num(where, 'dampening', cfg.dampening, 0, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
      const weightDecay = num(where, 'weightDecay', cfg.weightDecay, 0, nonNeg, 'a number ≥ 0');
      const nesterov = cfg.nesterov ?? false;
      if (typeof nesterov !== 'boolean') throw new ConfigError(`${where}.nesterov must be a boolean`);
      if (nesterov && (momentum <= 0 || dampening !== 0)) throw new ConfigError(`${where}.nesterov requires momentum > 0 and dampening 0 (as torch.optim.SGD)`);
      return { kind: 'sgd', momentum, dampening, nesterov, weightDecay };
    }
    case 'adamw':
      return {
        kind: 'adamw',
        beta1: num(where, 'beta1', cfg.beta1, 0.9, unit, 'a number in [0, 1)'),
        beta2: num(where, 'beta2', cfg.beta2, 0.999, unit, 'a number in [0, 1)'),
        eps: num(where, 'eps', cfg.eps, 1e-8, nonNeg, 'a number ≥ 0'),
        weightDecay: num(where, 'weightDecay', cfg.weightDecay, 0.01, nonNeg, 'a number ≥ 0'),
      };
    default:
      throw new ConfigError(`${where}.kind must be 'sgd' or 'adamw' (got ${JSON.stringify((cfg as { kind?: unknown }).kind)})`);
  }
}
