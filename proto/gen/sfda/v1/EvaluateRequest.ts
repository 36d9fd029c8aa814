// Original file: proto/sfda/v1/orchestrator.proto


export interface EvaluateRequest {
  'run_id'?: (string);
  /**
   * 0 = all images of the split.
   */
  'limit'?: (number);
  /**
   * Write label PNGs and colour overlays here (empty: none).
   */
  'out_dir'?: (string);
}

export interface EvaluateRequest__Output {
  'run_id': (string);
  /**
   * 0 = all images of the split.
   */
  'limit': (number);
  /**
   * Write label PNGs and colour overlays here (empty: none).
   */
  'out_dir': (string);
}
