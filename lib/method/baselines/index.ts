/**
 * Baselines of the adaptation benchmark that are Algorithms of their own: AdaBN and TENT.
 * (The self-training baselines — fixed threshold, CBST-style, DACS-style — are weightings of
 * the self-training loop: lib/method/weighting.)
 */
export { TentAlgorithm, tentStepProgram, bnAffineParams, type TentOptions } from './tent.js';
export { AdaBNAlgorithm, adaBN, type AdaBNOptions } from './adabn.js';
