// Original file: proto/sfda/v1/student.proto

import type { SyncMode as _sfda_v1_SyncMode, SyncMode__Output as _sfda_v1_SyncMode__Output } from '../../sfda/v1/SyncMode.js';

export interface StartRunRequest {
  'run_id'?: (string);
  /**
   * The run folder (shared storage): config.json, checkpoints/, metrics.jsonl, run.json.
   */
  'run_dir'?: (string);
  'config_json'?: (string);
  'source_model'?: (string);
  'resume'?: (boolean);
  'mode'?: (_sfda_v1_SyncMode);
  'max_staleness'?: (number);
  /**
   * The teacher's address (host:port).
   */
  'teacher_address'?: (string);
}

export interface StartRunRequest__Output {
  'run_id': (string);
  /**
   * The run folder (shared storage): config.json, checkpoints/, metrics.jsonl, run.json.
   */
  'run_dir': (string);
  'config_json': (string);
  'source_model': (string);
  'resume': (boolean);
  'mode': (_sfda_v1_SyncMode__Output);
  'max_staleness': (number);
  /**
   * The teacher's address (host:port).
   */
  'teacher_address': (string);
}
