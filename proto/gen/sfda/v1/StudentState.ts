// Original file: proto/sfda/v1/student.proto

import type { Long } from '@grpc/proto-loader';

export interface StudentState {
  'run_id'?: (string);
  'phase'?: (string);
  'step'?: (number | string | Long);
  'iterations'?: (number | string | Long);
  'teacher_version'?: (number | string | Long);
  'published_version'?: (number | string | Long);
  'last_checkpoint'?: (string);
  'error'?: (string);
  'provider'?: (string);
}

export interface StudentState__Output {
  'run_id': (string);
  'phase': (string);
  'step': (number);
  'iterations': (number);
  'teacher_version': (number);
  'published_version': (number);
  'last_checkpoint': (string);
  'error': (string);
  'provider': (string);
}
