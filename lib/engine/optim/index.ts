/**
 * Optimisers and learning-rate schedules.
 *
 * - `OptimizerConfig` ({kind:'sgd', momentum, dampening, nesterov, weightDecay} |
 *   {kind:'adamw', beta1, beta2, eps, weightDecay}) with PyTorch's semantics and defaults;
 *   `resolveOptimizer(cfg, where)` validates it (errors name the field) and fills defaults.
 * - The updates themselves are written INTO the training-step graph by the compiler
 *   (lib/engine/compile) through an `OptimizerEmitter` (sgd.ts, adamw.ts); model authors only
 *   pass the config to `compileTrainStep`.
 * - Schedules are pure functions lr(step) of the 0-based step: `polyLr`, `cosineLr`,
 *   `constantLr`, `withWarmup(inner, {steps, startFactor})`, or `makeSchedule(config)`.
 *   Feed `schedule(step)` as the step's `lr`; group multipliers are applied in the graph.
 */
export { ConfigError, resolveOptimizer, type AdamWConfig, type OptimizerConfig, type ResolvedOptimizer, type SgdConfig } from './config.js';
export type { OptimizerEmitter, ParamUpdate, UpdateResult } from './emitter.js';
export { makeEmitter } from './make-emitter.js';
export { constantLr, cosineLr, makeSchedule, polyLr, withWarmup, type Schedule, type ScheduleConfig } from './schedules.js';
