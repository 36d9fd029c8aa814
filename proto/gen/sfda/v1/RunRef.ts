// Original file: proto/sfda/v1/common.proto


/**
 * A run's identity inside a request. Steps are idempotent by (run_id, step, seed).
 */
export interface RunRef {
  'run_id'?: (string);
}

/**
 * A run's identity inside a request. Steps are idempotent by (run_id, step, seed).
 */
export interface RunRef__Output {
  'run_id': (string);
}
