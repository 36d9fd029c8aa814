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
      enabled: { type: 'bool', default: true, doc: 'run the metric network (off for the non-metric baselines: no metric step, no reliability, no warm-up)' },
    },
  },
  reliability: {
    type: 'object', doc: 'reliability r_i of a teacher pseudo-label (row 7)', fields: {
      variant: { type: 'enum', values: ['proxy-posterior', 'clipped-cosine', 'hard-agreement'], default: 'proxy-posterior', doc: 'r_i = softmax_c(β·s(e_i,p_c))[ŷ_i] | max(0, s(e_i,p_ŷ)) | 1[argmax_c s = ŷ]', symbol: 'r_i', reconstructed: true },
      beta: { type: 'number', default: 32, min: 0, doc: 'temperature of the proxy posterior (default = α)', symbol: 'β', reconstructed: true },
    },
  },
  weighting: {
    type: 'enum', values: ['reliability', 'uniform', 'confidence'], default: 'reliability',
    doc: 'per-pixel loss weight: metric reliability (STvM), uniform (ablation), teacher softmax confidence (DACS-style peer)', symbol: 'r_i',
  },
  mocm: {
    type: 'object', doc: 'MOCM: metric-based online ClassMix (row 12)', fields: {
      enabled: { type: 'bool', default: true, doc: 'mix the student input with ClassMix' },
      selection: { type: 'enum', values: ['reliability', 'random'], default: 'reliability', doc: 'classes pasted: sampled ∝ mean reliability R_c (MOCM) or uniformly (ClassMix ablation)', symbol: 'R_c', reconstructed: true },
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
} as const satisfies Schema;

export type StvmConfig = Resolved<typeof STVM_SCHEMA>;

/** Validates a (partial) STvM config, filling the defaults; errors name the field. */
export function stvmConfig(input: unknown = {}): StvmConfig {
  return validate(STVM_SCHEMA, input);
}
