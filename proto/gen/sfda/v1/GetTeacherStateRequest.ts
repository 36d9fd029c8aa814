// Original file: proto/sfda/v1/teacher.proto


export interface GetTeacherStateRequest {
  'run_id'?: (string);
}

export interface GetTeacherStateRequest__Output {
  'run_id': (string);
}
