// Original file: proto/sfda/v1/teacher.proto

import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from '../../sfda/v1/WeightsVersion.js';
import type { Long } from '@grpc/proto-loader';

export interface TeacherState {
  'run_id'?: (string);
  'weights'?: (_sfda_v1_WeightsVersion | null);
  'label_requests'?: (number | string | Long);
  'metric_steps'?: (number | string | Long);
  'snapshots_applied'?: (number | string | Long);
  'snapshots_rejected'?: (number | string | Long);
  'provider'?: (string);
  'loaded'?: (boolean);
}

export interface TeacherState__Output {
  'run_id': (string);
  'weights': (_sfda_v1_WeightsVersion__Output | null);
  'label_requests': (number);
  'metric_steps': (number);
  'snapshots_applied': (number);
  'snapshots_rejected': (number);
  'provider': (string);
  'loaded': (boolean);
}
