/**
 * Baselines of the adaptation benchmark: AdaBN and TENT (Algorithms), and the self-training
 * weightings (fixed threshold, CBST-style class-balanced, DACS-style) that plug into the
 * self-training loop's registry (registered by importing './weightings.js', which
 * lib/method/stvm/weightings.ts does).
 */
import './weightings.js';

export { thresholdWeights, THRESHOLD_WEIGHTING } from './threshold.js';
export { cbstThresholds, cbstWeights, CBST_WEIGHTING } from './cbst.js';
export { dacsWeights, DACS_WEIGHTING } from './dacs.js';
export { TentAlgorithm, tentStepProgram, bnAffineParams, type TentOptions } from './tent.js';
export { AdaBNAlgorithm, adaBN, type AdaBNOptions } from './adabn.js';
