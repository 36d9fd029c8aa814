// Original file: proto/sfda/v1/orchestrator.proto


export interface ExportRequest {
  'run_id'?: (string);
  'path'?: (string);
}

export interface ExportRequest__Output {
  'run_id': (string);
  'path': (string);
}
