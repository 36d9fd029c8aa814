// Original file: proto/sfda/v1/teacher.proto

import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from '../../sfda/v1/Tensor.js';
import type { Long } from '@grpc/proto-loader';

export interface LabelRequest {
  'run_id'?: (string);
  'step'?: (number | string | Long);
  'seed'?: (number | string | Long);
  /**
   * Normalised images float32 [N, 3, H, W].
   */
  'images'?: (_sfda_v1_Tensor | null);
  'min_version'?: (number | string | Long);
  /**
   * Also return the full softmax (weightings that need it).
   */
  'want_probs'?: (boolean);
  /**
   * Quantise the reliability/confidence maps to 8 or 16 bits (0 = float32, exact).
   */
  'quantize_bits'?: (number);
}

export interface LabelRequest__Output {
  'run_id': (string);
  'step': (number);
  'seed': (number);
  /**
   * Normalised images float32 [N, 3, H, W].
   */
  'images': (_sfda_v1_Tensor__Output | null);
  'min_version': (number);
  /**
   * Also return the full softmax (weightings that need it).
   */
  'want_probs': (boolean);
  /**
   * Quantise the reliability/confidence maps to 8 or 16 bits (0 = float32, exact).
   */
  'quantize_bits': (number);
}
