// Original file: proto/sfda/v1/orchestrator.proto

import type { Long } from '@grpc/proto-loader';

export interface RunInfo {
  'run_id'?: (string);
  'phase'?: (string);
  'step'?: (number | string | Long);
  'iterations'?: (number | string | Long);
  'teacher_version'?: (number | string | Long);
  'run_dir'?: (string);
  'mode'?: (string);
  'created'?: (string);
  'updated'?: (string);
  'miou'?: (number | string);
  'error'?: (string);
  'last_checkpoint'?: (string);
  'method'?: (string);
  /**
   * The pair the run is assigned to (host:port; empty while QUEUED).
   */
  'student'?: (string);
  'teacher'?: (string);
}

export interface RunInfo__Output {
  'run_id': (string);
  'phase': (string);
  'step': (number);
  'iterations': (number);
  'teacher_version': (number);
  'run_dir': (string);
  'mode': (string);
  'created': (string);
  'updated': (string);
  'miou': (number);
  'error': (string);
  'last_checkpoint': (string);
  'method': (string);
  /**
   * The pair the run is assigned to (host:port; empty while QUEUED).
   */
  'student': (string);
  'teacher': (string);
}
