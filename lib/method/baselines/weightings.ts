/**
 * Registers the baseline weightings (fixed threshold, CBST-style class-balanced thresholds,
 * DACS-style per-image confidence) in the self-training loop's weighting registry
 * (lib/method/stvm/weighting.ts). Import for its side effect; lib/method/stvm/weightings.ts
 * imports it, so every name is known wherever configs are resolved.
 */
import { registerWeighting } from '../stvm/weighting.js';
import { CBST_WEIGHTING } from './cbst.js';
import { DACS_WEIGHTING } from './dacs.js';
import { THRESHOLD_WEIGHTING } from './threshold.js';

registerWeighting(THRESHOLD_WEIGHTING);
registerWeighting(CBST_WEIGHTING);
registerWeighting(DACS_WEIGHTING);
