// Original file: proto/sfda/v1/teacher.proto


export interface ExportStateRequest {
  'run_id'?: (string);
}

export interface ExportStateRequest__Output {
  'run_id': (string);
}
