/** Chooses the optimiser emitter for a resolved configuration. */
import type { GraphBuilder } from '../ir/builder.js';
import { adamwEmitter } from './adamw.js';
import type { ResolvedOptimizer } from './config.js';
import type { OptimizerEmitter } from './emitter.js';
import { sgdEmitter } from './sgd.js';

export function makeEmitter(g: GraphBuilder, cfg: ResolvedOptimizer, step: string): OptimizerEmitter {
  return cfg.kind === 'sgd' ? sgdEmitter(g, cfg, step) : adamwEmitter(g, cfg, step);
}
