/**
 * The per-pixel loss weightings of the self-training loop, with every registration loaded:
 * the built-ins of registry.ts (reliability, uniform, confidence) and the baselines' weightings
 * (fixed threshold, CBST-style class-balanced thresholds, DACS-style per-image confidence).
 * Import the registry from here wherever names are resolved (configs), so every name is known.
 */
import { registerWeighting } from './registry.js';
import { CBST_WEIGHTING } from './cbst.js';
import { DACS_WEIGHTING } from './dacs.js';
import { THRESHOLD_WEIGHTING } from './threshold.js';

export * from './registry.js';
export { thresholdWeights, THRESHOLD_WEIGHTING } from './threshold.js';
export { cbstThresholds, cbstWeights, CBST_WEIGHTING } from './cbst.js';
export { dacsWeights, DACS_WEIGHTING } from './dacs.js';

registerWeighting(THRESHOLD_WEIGHTING);
registerWeighting(CBST_WEIGHTING);
registerWeighting(DACS_WEIGHTING);
