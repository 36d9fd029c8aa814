// Original file: proto/sfda/v1/teacher.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';
import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from '../../sfda/v1/Tensor.js';

export interface PredictReply {
  'weights'?: (_sfda_v1_WeightsVersion | null);
  /**
   * uint8 [N, H, W].
   */
  'labels'?: (_sfda_v1_Tensor | null);
}

export interface PredictReply__Output {
  'weights': (_sfda_v1_WeightsVersion__Output | null);
  /**
   * uint8 [N, H, W].
   */
  'labels': (_sfda_v1_Tensor__Output | null);
}
