/**
 * STvM self-training (single process): the teacher and student sides, their compiled
 * programs, the weighting registry, batch mixing, label-free target batches, and the
 * Algorithm that runLoop (lib/train/loop.ts) drives. See algorithm.ts for one iteration.
 */
export { StvmAlgorithm, type StvmAlgorithmOptions } from './algorithm.js';
export { loopSettings, type LoopSettings, type WeightingChoice } from './loop-settings.js';
export { TeacherSide, type TeacherOutputs, type TeacherSideOptions } from './teacher-side.js';
export { StudentSide, type StudentSideOptions } from './student-side.js';
export { teacherEvalProgram, studentStepProgram, metricStepProgram, emaProgram, predictProgram, initProxies, PROXIES, type NetParams } from './programs.js';
export { buildNet, adaptSpec, type NetSource } from './net.js';
export { registerWeighting, getWeighting, makeWeighting, weightingNames, perPixel, type Weighting, type WeightFn, type TeacherView, type WeightingNeeds } from './weightings.js';
export { mixBatch, type MixingMode, type MixResult } from './mixing.js';
export { upsampleBilinear, downsampleArea, metricTargets, maskedMean } from './maps.js';
export { TargetBatches, type TargetBatch, type TargetBatchOptions } from './target-batches.js';
export type { SideRunnerOptions } from './runner-options.js';
