// Original file: proto/sfda/v1/student.proto


export interface StopRunRequest {
  'run_id'?: (string);
}

export interface StopRunRequest__Output {
  'run_id': (string);
}
