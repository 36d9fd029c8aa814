// Original file: proto/sfda/v1/teacher.proto

import type { Long } from '@grpc/proto-loader';

export interface SyncWeightsRequest {
  'run_id'?: (string);
  'min_version'?: (number | string | Long);
}

export interface SyncWeightsRequest__Output {
  'run_id': (string);
  'min_version': (number);
}
