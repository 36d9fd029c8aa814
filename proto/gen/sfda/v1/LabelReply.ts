// Original file: proto/sfda/v1/teacher.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';
import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from '../../sfda/v1/Tensor.js';

export interface LabelReply {
  'weights'?: (_sfda_v1_WeightsVersion | null);
  /**
   * ŷ at the crop, uint8 [N, H, W] (255 = none).
   */
  'labels'?: (_sfda_v1_Tensor | null);
  /**
   * max softmax q, [N, H, W].
   */
  'confidence'?: (_sfda_v1_Tensor | null);
  /**
   * Reliability r upsampled to the crop, [N, H, W] (absent when the metric network is off).
   */
  'reliability'?: (_sfda_v1_Tensor | null);
  /**
   * softmax [N, C, H, W] (only with want_probs, and only for runs whose weighting uses the
   * probabilities: the teacher builds its graph with the softmax output only then).
   */
  'probs'?: (_sfda_v1_Tensor | null);
  /**
   * L_metric, whether the metric step was finite, mean reliability, locations used.
   */
  'metrics'?: ({[key: string]: number | string});
  /**
   * True when this answer was served from the idempotency cache.
   */
  'replayed'?: (boolean);
}

export interface LabelReply__Output {
  'weights': (_sfda_v1_WeightsVersion__Output | null);
  /**
   * ŷ at the crop, uint8 [N, H, W] (255 = none).
   */
  'labels': (_sfda_v1_Tensor__Output | null);
  /**
   * max softmax q, [N, H, W].
   */
  'confidence': (_sfda_v1_Tensor__Output | null);
  /**
   * Reliability r upsampled to the crop, [N, H, W] (absent when the metric network is off).
   */
  'reliability': (_sfda_v1_Tensor__Output | null);
  /**
   * softmax [N, C, H, W] (only with want_probs, and only for runs whose weighting uses the
   * probabilities: the teacher builds its graph with the softmax output only then).
   */
  'probs': (_sfda_v1_Tensor__Output | null);
  /**
   * L_metric, whether the metric step was finite, mean reliability, locations used.
   */
  'metrics': ({[key: string]: number});
  /**
   * True when this answer was served from the idempotency cache.
   */
  'replayed': (boolean);
}
