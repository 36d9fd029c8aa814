// Original file: proto/sfda/v1/orchestrator.proto


export interface OrchStartRunRequest {
  /**
   * Empty: the orchestrator makes one from the config name and time.
   */
  'run_id'?: (string);
  /**
   * The adaptation config (JSON text, validated: a bad field is INVALID_ARGUMENT naming it).
   */
  'config_json'?: (string);
  'source_model'?: (string);
  /**
   * "sync" | "pipelined".
   */
  'mode'?: (string);
  'max_staleness'?: (number);
  /**
   * Overrides of config fields, e.g. {"iterations": "20"}.
   */
  'overrides'?: ({[key: string]: string});
}

export interface OrchStartRunRequest__Output {
  /**
   * Empty: the orchestrator makes one from the config name and time.
   */
  'run_id': (string);
  /**
   * The adaptation config (JSON text, validated: a bad field is INVALID_ARGUMENT naming it).
   */
  'config_json': (string);
  'source_model': (string);
  /**
   * "sync" | "pipelined".
   */
  'mode': (string);
  'max_staleness': (number);
  /**
   * Overrides of config fields, e.g. {"iterations": "20"}.
   */
  'overrides': ({[key: string]: string});
}
