// Original file: proto/sfda/v1/teacher.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';
import type { Long } from '@grpc/proto-loader';

export interface SyncWeightsReply {
  'weights'?: (_sfda_v1_WeightsVersion | null);
  'applied'?: (number | string | Long);
}

export interface SyncWeightsReply__Output {
  'weights': (_sfda_v1_WeightsVersion__Output | null);
  'applied': (number);
}
