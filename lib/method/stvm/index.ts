/**
 * STvM self-training, all in this folder: the method config (config.ts, paper symbols), the
 * pure pieces (Proxy-Anchor, reliability, MOCM class choice, EMA arithmetic, maps), the
 * compiled programs, the two sides as ports (ports.ts: TeacherPort, StudentPort) with their
 * local implementations (teacher-core.ts over teacher-side.ts; student-side.ts), batch mixing,
 * label-free target batches, and the Algorithm that runLoop (lib/train/loop.ts) drives. See
 * algorithm.ts for one iteration.
 */
export { StvmAlgorithm, type StvmAlgorithmOptions } from './algorithm.js';
export { STVM_SCHEMA, stvmConfig, type StvmConfig } from './config.js';
export { loopSettings, type LoopSettings, type WeightingChoice } from './loop-settings.js';
export type { TeacherPort, StudentPort, TeacherLabels, LabelRequest } from './ports.js';
export { TeacherCore, StaleVersionError, type TeacherCoreOptions } from './teacher-core.js';
export { TeacherSide, type TeacherOutputs, type TeacherSideOptions } from './teacher-side.js';
export { StudentSide, type StudentSideOptions } from './student-side.js';
export { predictWith } from './predict.js';
export { teacherEvalProgram, studentStepProgram, metricStepProgram, emaProgram, predictProgram, initProxies, PROXIES, type NetParams } from './programs.js';
export { buildNet, adaptSpec, netSourceOf, type NetSource, type NetBn, type DeepLabNetSource, type ImportedNetSource } from './net.js';
export { adaptationNet, startsFromAdabn, studentStepOptions, trainsBn } from './bn-mode.js';
export { registerWeighting, getWeighting, makeWeighting, weightingNames, perPixel, type Weighting, type WeightFn, type TeacherView, type WeightingNeeds } from '../weighting/index.js';
export { mixBatch, type MixingMode, type MixResult } from './mixing.js';
export { upsampleBilinear, downsampleArea, metricTargets, maskedMean } from './maps.js';
export { emaDecay, emaDecaySpan } from './ema.js';
export { TargetBatches, type TargetBatch, type TargetBatchOptions } from './target-batches.js';
export type { SideRunnerOptions } from './runner-options.js';
