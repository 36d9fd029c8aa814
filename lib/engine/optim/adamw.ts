/**
 * AdamW exactly as torch.optim.AdamW (single-tensor path), t = step + 1:
 *   p  ← p·(1 − lr·wd)                                  decoupled weight decay
 *   m' = β1·m + (1−β1)·g                                 exp_avg
 *   v' = β2·v + (1−β2)·g²                                exp_avg_sq
 *   p' = p − (lr/(1−β1^t)) · m' / (√v'/√(1−β2^t) + ε)    ε outside the square root
 * Shapes: p, g, m, v the parameter's shape; lr and step scalars. The bias corrections are
 * computed once per graph, the step size once per learning-rate value (parameter group).
 */
import type { GraphBuilder } from '../ir/builder.js';
import type { ResolvedAdamW } from './config.js';
import { scalarCache, type OptimizerEmitter, type ParamUpdate, type UpdateResult } from './emitter.js';

/** `step` names the scalar float count of steps already taken (0 on the first step). */
export function adamwEmitter(g: GraphBuilder, cfg: ResolvedAdamW, step: string): OptimizerEmitter {
  const c = scalarCache(g);
  let bc: { bc1: string; bc2Sqrt: string } | undefined;
  const stepSizes = new Map<string, string>();
  const corrections = () => {
    if (bc === undefined) {
      const t = g.op1('Add', [step, c(1)], {}, { name: 'adamw_t' });
      const bc1 = g.op1('Sub', [c(1), g.op1('Pow', [c(cfg.beta1), t])], {}, { name: 'adamw_bc1' });
      const bc2 = g.op1('Sub', [c(1), g.op1('Pow', [c(cfg.beta2), t])], {}, { name: 'adamw_bc2' });
      bc = { bc1, bc2Sqrt: g.op1('Sqrt', [bc2]) };
    }
    return bc;
  };
  return {
    stateKeys: ['exp_avg', 'exp_avg_sq'],
    update(u: ParamUpdate): UpdateResult {
      const { bc1, bc2Sqrt } = corrections();
      let stepSize = stepSizes.get(u.lr);
      if (stepSize === undefined) {
        stepSize = g.op1('Div', [u.lr, bc1], {}, { name: 'adamw_step_size' });
        stepSizes.set(u.lr, stepSize);
      }
      let p = u.param;
      if (u.weightDecay !== 0) {
        const keep = g.op1('Sub', [c(1), g.op1('Mul', [u.lr, c(u.weightDecay)])], {}, { name: 'adamw_decay' });
        p = g.op1('Mul', [p, keep]);
      }
      const gr = u.grad;
      const m = g.op1('Add', [g.op1('Mul', [u.state['exp_avg']!, c(cfg.beta1)]), g.op1('Mul', [gr, c(1 - cfg.beta1)])], {}, { name: 'adamw_m' });
      const g2 = g.op1('Mul', [gr, gr]);
      const v = g.op1('Add', [g.op1('Mul', [u.state['exp_avg_sq']!, c(cfg.beta2)]), g.op1('Mul', [g2, c(1 - cfg.beta2)])], {}, { name: 'adamw_v' });
      const denom = g.op1('Add', [g.op1('Div', [g.op1('Sqrt', [v]), bc2Sqrt]), c(cfg.eps)], {}, { name: 'adamw_denom' });
      const delta = g.op1('Mul', [g.op1('Div', [m, denom]), stepSize]);
      return { param: g.op1('Sub', [p, delta], {}, { name: 'adamw_update' }), state: { exp_avg: m, exp_avg_sq: v } };
    },
  };
}
