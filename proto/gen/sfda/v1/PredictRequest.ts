// Original file: proto/sfda/v1/teacher.proto

import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from '../../sfda/v1/Tensor.js';

export interface PredictRequest {
  'run_id'?: (string);
  'images'?: (_sfda_v1_Tensor | null);
}

export interface PredictRequest__Output {
  'run_id': (string);
  'images': (_sfda_v1_Tensor__Output | null);
}
