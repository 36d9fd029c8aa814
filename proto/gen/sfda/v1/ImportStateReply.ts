// Original file: proto/sfda/v1/teacher.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';

export interface ImportStateReply {
  'weights'?: (_sfda_v1_WeightsVersion | null);
}

export interface ImportStateReply__Output {
  'weights': (_sfda_v1_WeightsVersion__Output | null);
}
