// Original file: proto/sfda/v1/student.proto


export interface WatchStudentRequest {
  'run_id'?: (string);
}

export interface WatchStudentRequest__Output {
  'run_id': (string);
}
