// Original file: proto/sfda/v1/teacher.proto

import type { Long } from '@grpc/proto-loader';

export interface LoadRunRequest {
  'run_id'?: (string);
  /**
   * The resolved adaptation config (JSON) and its hash.
   */
  'config_json'?: (string);
  'config_hash'?: (string);
  /**
   * The source model file (*.model.ckpt) as a path both services can read.
   */
  'source_model'?: (string);
  /**
   * Teacher version to start at (0 = the source model; a resume sets it with ImportState).
   */
  'start_version'?: (number | string | Long);
  /**
   * Rebuild the run's teacher from the source model even when it is loaded with this config
   * (a student that starts the run afresh, or before restoring a checkpoint).
   */
  'reset'?: (boolean);
}

export interface LoadRunRequest__Output {
  'run_id': (string);
  /**
   * The resolved adaptation config (JSON) and its hash.
   */
  'config_json': (string);
  'config_hash': (string);
  /**
   * The source model file (*.model.ckpt) as a path both services can read.
   */
  'source_model': (string);
  /**
   * Teacher version to start at (0 = the source model; a resume sets it with ImportState).
   */
  'start_version': (number);
  /**
   * Rebuild the run's teacher from the source model even when it is loaded with this config
   * (a student that starts the run afresh, or before restoring a checkpoint).
   */
  'reset': (boolean);
}
