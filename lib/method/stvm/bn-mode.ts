/**
 * What stvm.bn and stvm.regularisers (config.ts) mean for the programs, in one place for the
 * algorithm, the teacher service and the dry run:
 *
 *   mode          network BN (net.ts)       starting statistics μ, σ²
 *   frozen-source 'frozen' (constants)      the source model's
 *   adabn         'frozen' (constants)      AdaBN on the target images (lib/train/adapt-run.ts)
 *   train         'train'  (state, EMA'd)   the source model's
 *   adabn-train   'train'  (state, EMA'd)   AdaBN on the target images
 *
 * With a train mode and statsFrom 'unmixed' the student's batch is [x̃; x] (two groups of N
 * images) and every BN takes its batch statistics from group 1 (x); the x group adds to the
 * loss only with mocm.unmixedLoss (otherwise its labels are all 255: zero loss, zero weight).
 */
import type { StvmConfig } from './config.js';
import type { NetSource } from './net.js';
import type { StudentStepOptions } from './programs.js';

type BnCfg = Pick<StvmConfig, 'bn'>;

/** Whether the student trains BN (the teacher's BN tensors then follow by the EMA). */
export const trainsBn = (cfg: BnCfg): boolean => cfg.bn.mode === 'train' || cfg.bn.mode === 'adabn-train';

/** Whether the run starts from the AdaBN-adapted source model. */
export const startsFromAdabn = (cfg: BnCfg): boolean => cfg.bn.mode === 'adabn' || cfg.bn.mode === 'adabn-train';

/** The run's network with the BN form of stvm.bn.mode. */
export function adaptationNet(net: NetSource, cfg: BnCfg): NetSource {
  return trainsBn(cfg) ? { ...net, bn: 'train' } : net;
}

/** Whether the student's batch carries the un-mixed images x after x̃ ([x̃; x]). */
export function studentGroups(cfg: Pick<StvmConfig, 'bn' | 'mocm'>): 1 | 2 {
  return cfg.mocm.unmixedLoss || (trainsBn(cfg) && cfg.bn.statsFrom === 'unmixed') ? 2 : 1;
}

/** The student step's loss/BN options (programs.ts studentStepProgram) of a config. */
export function studentStepOptions(cfg: Pick<StvmConfig, 'bn' | 'mocm' | 'student' | 'regularisers'>): StudentStepOptions {
  const r = cfg.regularisers;
  return {
    normaliser: cfg.student.lossNorm,
    groups: studentGroups(cfg),
    ...(trainsBn(cfg) && cfg.bn.statsFrom === 'unmixed' ? { bnStatsGroup: 1 } : {}),
    ...(r.imEntropy > 0 || r.imDiversity > 0 ? { im: { entropy: r.imEntropy, diversity: r.imDiversity } } : {}),
  };
}
