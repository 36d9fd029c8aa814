/**
 * STvM hyper-parameters (Akkaya & Halici, arXiv 2212.04227). Each field names the paper
 * symbol it sets; fields whose paper value could not be read are tagged `reconstructed`
 * (see shared/design/stvm-method.md, "Reconstructed defaults") so a user holding the PDF can
 * set them without touching code.
 */
import { validate, type Resolved, type Schema } from '../../config/schema.js';

export const STVM_SCHEMA = {
  metric: {
    type: 'object', doc: 'metric network m and proxies p_1..p_C (row 3–6)', fields: {
      hidden: { type: 'int', default: 512, min: 1, doc: 'width of the 1×1 conv MLP hidden layer of m', symbol: 'm', reconstructed: true },
      dim: { type: 'int', default: 256, min: 2, doc: 'embedding dimension D of e_i and the proxies', symbol: 'D', reconstructed: true },
      alpha: { type: 'number', default: 32, min: 0, doc: 'Proxy-Anchor scale', symbol: 'α', reconstructed: true },
      delta: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'Proxy-Anchor margin', symbol: 'δ', reconstructed: true },
      lr: { type: 'number', default: 1e-4, min: 0, doc: 'AdamW learning rate of m', symbol: 'η_m', reconstructed: true },
      proxyLrMult: { type: 'number', default: 100, min: 0, doc: 'learning-rate multiplier of the proxies', reconstructed: true },
      weightDecay: { type: 'number', default: 1e-4, min: 0, doc: 'AdamW weight decay of m and the proxies', reconstructed: true },
      maxLocations: { type: 'int', default: 20000, min: 1, doc: 'at most this many feature locations per batch enter the metric loss (random subsample)', reconstructed: true },
      warmupIters: { type: 'int', default: 500, min: 0, doc: 'metric warm-up: iterations training only m and proxies on the frozen source model before the student starts', symbol: 'K_w', reconstructed: true },
      confidentFraction: { type: 'number', default: 1, min: 0.01, max: 1, doc: "fraction ρ of each class's feature locations, the most confident by the teacher's softmax q (area-averaged to the feature grid), that train m and the proxies; 1 = every location (the paper's row 5); < 1 keeps the metric network from learning the teacher's own least certain labels as reliable", symbol: 'ρ', reconstructed: true },
      enabled: { type: 'bool', default: true, doc: 'run the metric network (off for the non-metric baselines: no metric step, no reliability, no warm-up)' },
    },
  },
  reliability: {
    type: 'object', doc: 'reliability r_i of a teacher pseudo-label (row 7)', fields: {
      variant: { type: 'enum', values: ['proxy-posterior', 'clipped-cosine', 'hard-agreement'], default: 'proxy-posterior', doc: 'r_i = softmax_c(β·s(e_i,p_c))[ŷ_i] | max(0, s(e_i,p_ŷ)) | 1[argmax_c s = ŷ]', symbol: 'r_i', reconstructed: true },
      beta: { type: 'number', default: 0, min: 0, doc: 'temperature of the proxy posterior; 0 = tied to the Proxy-Anchor scale α (β = α)', symbol: 'β', reconstructed: true },
      resolution: { type: 'enum', values: ['feature', 'full'], default: 'feature', doc: "where r is evaluated: 'feature' = the posterior of the stride-8 argmax class, upsampled bilinearly to the crop; 'full' = the similarities S upsampled to the crop and the posterior taken for the full-resolution pseudo-label ŷ_i (the label the loss uses)", symbol: 'r_i', reconstructed: true },
    },
  },
  weighting: {
    type: 'enum', values: ['reliability', 'uniform', 'confidence', 'mean-reliability'], default: 'reliability',
    doc: 'per-pixel loss weight: metric reliability (STvM), uniform (ablation), teacher softmax confidence (DACS-style peer), the batch mean of r for every pixel (ablation: step size without the weighting)', symbol: 'r_i',
  },
  mocm: {
    type: 'object', doc: 'MOCM: metric-based online ClassMix (row 12)', fields: {
      enabled: { type: 'bool', default: true, doc: 'mix the student input with ClassMix' },
      selection: { type: 'enum', values: ['reliability', 'rare-reliable', 'random'], default: 'reliability', doc: "classes pasted: sampled ∝ mean reliability R_c (MOCM), ∝ R_c·(1 − f_c) with f_c the running pseudo-label frequency of class c ('rare-reliable': rare classes that the metric network trusts), or uniformly (ClassMix ablation)", symbol: 'R_c', reconstructed: true },
      strongAug: { type: 'bool', default: true, doc: 'strong photometric augmentation on the mixed image', reconstructed: true },
      unmixedLoss: { type: 'bool', default: false, doc: 'also apply the weighted loss to the un-mixed image (row 13)', reconstructed: true },
    },
  },
  student: {
    type: 'object', doc: 'student optimiser (row 14)', fields: {
      lr: { type: 'number', default: 2.5e-4, min: 0, doc: 'SGD learning rate', symbol: 'η', reconstructed: true },
      headLrMult: { type: 'number', default: 10, min: 0, doc: 'learning-rate multiplier of the classifier head', reconstructed: true },
      momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'SGD momentum' },
      weightDecay: { type: 'number', default: 5e-4, min: 0, doc: 'SGD weight decay' },
      polyPower: { type: 'number', default: 0.9, min: 0, doc: 'poly learning-rate decay power' },
      lossNorm: { type: 'enum', values: ['valid-pixels', 'weight-sum'], default: 'valid-pixels', doc: 'normaliser of the weighted CE: 1/N over the N valid pixels (row 8; r a constant) or 1/Σ_i r_i', symbol: '1/N', reconstructed: true },
    },
  },
  classBalance: {
    type: 'object', doc: 'class balance of the student loss (not in the paper: rare classes otherwise lose weight to the frequent ones under self-training)', fields: {
      sourceWeights: { type: 'bool', default: false, doc: "multiply each pixel's weight by the source model's class weight w_ŷ (the median-frequency weights it was trained with, from its metadata; 1 for every class when it has none)", symbol: 'w_c', reconstructed: true },
      pseudoLabel: { type: 'bool', default: false, doc: 'multiply each pixel\'s weight by (median_c f_c / f_ŷ)^γ, f the running pseudo-label class frequency (class-balanced self-training)', symbol: 'f_c', reconstructed: true },
      power: { type: 'number', default: 0.5, min: 0, max: 2, doc: 'exponent γ of the pseudo-label class balance', symbol: 'γ', reconstructed: true },
      momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: "running frequency f_c ← μ·f_c + (1−μ)·(class c's share of the un-mixed batch's pseudo-labels)", symbol: 'μ', reconstructed: true },
      maxWeight: { type: 'number', default: 10, min: 1, doc: 'class weights are clipped to [1/maxWeight, maxWeight] before the normalisation', reconstructed: true },
    },
  },
  teacher: {
    type: 'enum', values: ['ema', 'fixed-source'], default: 'ema',
    doc: 'the pseudo-labelling network: the EMA mean teacher (row 1) or the fixed source model (no EMA; baselines)', symbol: 'θ_t',
  },
  strongAug: {
    type: 'object', doc: 'strong photometric augmentation of the mixed image x̃ (row 12; DACS-style values)', fields: {
      jitter: { type: 'number', default: 0.25, min: 0, max: 0.5, doc: 'colour-jitter strength s: brightness/contrast/saturation factors in [1−s, 1+s], hue shift in [−s, s] turns', reconstructed: true },
      jitterP: { type: 'number', default: 0.8, min: 0, max: 1, doc: 'probability of the colour jitter', reconstructed: true },
      blurP: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'probability of a Gaussian blur', reconstructed: true },
      blurSigmaMin: { type: 'number', default: 0.15, min: 0, doc: 'blur σ lower bound (pixels)', reconstructed: true },
      blurSigmaMax: { type: 'number', default: 1.15, min: 0, doc: 'blur σ upper bound (pixels)', reconstructed: true },
    },
  },
  ema: {
    type: 'object', doc: 'mean teacher (row 10)', fields: {
      maxDecay: { type: 'number', default: 0.99, min: 0, max: 1, doc: 'α_t = min(1 − 1/(t+1), maxDecay)', symbol: 'α_t', reconstructed: true },
      every: { type: 'int', default: 1, min: 1, doc: 'EMA update every k student steps (decay adjusted to α^k)', symbol: 'k' },
    },
  },
  bn: {
    type: 'object', doc: "BatchNorm of teacher and student during adaptation (row 1: the paper's DeepLab-v2 keeps BN frozen with ImageNet statistics; a source model whose BN statistics were estimated on the source domain needs a target-side choice — reconstructed)", fields: {
      mode: {
        type: 'enum', values: ['frozen-source', 'adabn', 'train', 'adabn-train'], default: 'adabn-train', symbol: 'μ, σ², γ, β', reconstructed: true,
        doc: "'frozen-source': eval-mode BN with the source model's running statistics μ, σ² and affine γ, β, all constants (the SFDA DeepLab-v2 convention); "
          + "'adabn': the same, with μ, σ² first re-estimated on the target images (AdaBN, lib/method/baselines/adabn.ts; the adapted model starts from it); "
          + "'train': the student normalises with batch statistics (see statsFrom) and trains γ, β with the convolutions (backbone group: lr ×1, the same SGD momentum and weight decay), its running μ, σ² follow the batches with the source BN momentum (PyTorch rule, unbiased variance), and the teacher (eval-mode BN) takes γ, β, μ, σ² from the student by the EMA like every weight (they travel in the weight snapshots and the checkpoints); "
          + "'adabn-train': 'train' started from the AdaBN statistics (the default since session 5: chosen on the development style sunny-photo, bench/results/adapt-P0-dev3.md, where it gave 31.4 % mIoU vs 25.5 for 'frozen-source' and 30.5 for 'adabn'; the paper's 'frozen-source' is the bench row stvm-paper). A network without BatchNorm accepts only 'frozen-source'",
      },
      statsFrom: {
        type: 'enum', values: ['unmixed', 'mixed'], default: 'unmixed', reconstructed: true,
        doc: "train modes: whose batch statistics normalise the student's forward. 'unmixed': the un-mixed target batch x (weak augmentation only, what the teacher labels): the student runs on [x̃; x] and every BN normalises both halves with x's statistics (the gradient flows through them), so the running statistics the teacher inherits are those of target images as they are, not of ClassMix composites under strong photometric augmentation; the x half carries no loss unless mocm.unmixedLoss (N more images per forward/backward otherwise). 'mixed': the student's own batch x̃ (DACS)",
      },
      adabnImages: { type: 'int', default: 0, min: 0, doc: "adabn modes: estimate the statistics on the first N target images (SynthStreet: N frames of the target's seed and style) in order; 0 = the whole target set" },
      adabnBatch: { type: 'int', default: 8, min: 2, doc: 'adabn modes: images per AdaBN batch (batch statistics, averaged over the batches)' },
    },
  },
  regularisers: {
    type: 'object', doc: 'extra student losses against collapse (row 9: none in the reconstruction; each off by default)', fields: {
      imEntropy: { type: 'number', default: 0, min: 0, doc: "information maximisation (SHOT), entropy term: L += λ_ent·L_ent, L_ent = (1/P) Σ_i H(p_i), p_i the student's softmax at pixel i of the mixed batch x̃ (lib/engine/losses/information-maximisation.ts)", symbol: 'λ_ent', reconstructed: true },
      imDiversity: { type: 'number', default: 0, min: 0, doc: "information maximisation (SHOT), diversity term: L += λ_div·L_div, L_div = Σ_c p̄_c log p̄_c = −H(p̄), p̄ = (1/P) Σ_i p_i over the mixed batch's pixels (minimising it spreads predictions over the classes)", symbol: 'λ_div', reconstructed: true },
      restoreProb: { type: 'number', default: 0, min: 0, max: 1, doc: "stochastic restore (CoTTA): after each student step every element of every trained student tensor (convolutions; with train-mode BN also γ, β) returns to its value in the starting model with probability p, positions from the iteration's seeded stream (a resumed run restores the same ones); running statistics and the SGD state are kept (lib/method/stvm/restore.ts)", symbol: 'p', reconstructed: true },
    },
  },
} as const satisfies Schema;

export type StvmConfig = Resolved<typeof STVM_SCHEMA>;

/** Validates a (partial) STvM config, filling the defaults; errors name the field. */
export function stvmConfig(input: unknown = {}): StvmConfig {
  return validate(STVM_SCHEMA, input);
}
