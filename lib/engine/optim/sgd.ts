/**
 * SGD with momentum, dampening, Nesterov and coupled weight decay, exactly as torch.optim.SGD:
 *   d  = g + wd·p
 *   v' = d                       on the first step (PyTorch's buffer is None)
 *   v' = μ·v + (1−τ)·d           afterwards
 *   d' = d + μ·v'  (nesterov)    or  d' = v'
 *   p' = p − lr·d'
 * With τ = 0 the buffer starts at zero, so μ·0 + d = d reproduces the first step exactly and
 * no step flag is needed; with τ ≠ 0 the first step is selected with Where(step > 0, ...).
 * Shapes: p, g, v all the parameter's shape; lr and step scalars.
 */
import type { GraphBuilder } from '../ir/builder.js';
import type { ResolvedSgd } from './config.js';
import { scalarCache, type OptimizerEmitter, type ParamUpdate, type UpdateResult } from './emitter.js';

/** `step` names the scalar float count of steps already taken (0 on the first step). */
export function sgdEmitter(g: GraphBuilder, cfg: ResolvedSgd, step: string): OptimizerEmitter {
  const c = scalarCache(g);
  const mu = cfg.momentum;
  let notFirst: string | undefined;
  return {
    stateKeys: mu !== 0 ? ['momentum_buffer'] : [],
    update(u: ParamUpdate): UpdateResult {
      let d = u.grad;
      if (u.weightDecay !== 0) d = g.op1('Add', [d, g.op1('Mul', [u.param, c(u.weightDecay)])], {}, { name: 'sgd_wd' });
      const state: Record<string, string> = {};
      if (mu !== 0) {
        const v = u.state['momentum_buffer']!;
        const damped = cfg.dampening === 0 ? d : g.op1('Mul', [d, c(1 - cfg.dampening)]);
        let buf = g.op1('Add', [g.op1('Mul', [v, c(mu)]), damped], {}, { name: 'sgd_momentum' });
        if (cfg.dampening !== 0) {
          notFirst ??= g.op1('Greater', [step, c(0)]);
          buf = g.op1('Where', [notFirst, buf, d], {}, { name: 'sgd_first_step' });
        }
        state['momentum_buffer'] = buf;
        d = cfg.nesterov ? g.op1('Add', [d, g.op1('Mul', [buf, c(mu)])], {}, { name: 'sgd_nesterov' }) : buf;
      }
      const p = g.op1('Sub', [u.param, g.op1('Mul', [d, u.lr])], {}, { name: 'sgd_update' });
      return { param: p, state };
    },
  };
}
