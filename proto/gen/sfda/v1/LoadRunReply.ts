// Original file: proto/sfda/v1/teacher.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';

export interface LoadRunReply {
  'weights'?: (_sfda_v1_WeightsVersion | null);
  'provider'?: (string);
  /**
   * Feature-map size [h, w] of the metric network's input.
   */
  'feature_size'?: (number)[];
}

export interface LoadRunReply__Output {
  'weights': (_sfda_v1_WeightsVersion__Output | null);
  'provider': (string);
  /**
   * Feature-map size [h, w] of the metric network's input.
   */
  'feature_size': (number)[];
}
