// Original file: proto/sfda/v1/student.proto


export interface GetStudentStateRequest {
  'run_id'?: (string);
}

export interface GetStudentStateRequest__Output {
  'run_id': (string);
}
