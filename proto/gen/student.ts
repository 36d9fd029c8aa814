import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetStudentStateRequest as _sfda_v1_GetStudentStateRequest, GetStudentStateRequest__Output as _sfda_v1_GetStudentStateRequest__Output } from './sfda/v1/GetStudentStateRequest.js';
import type { Progress as _sfda_v1_Progress, Progress__Output as _sfda_v1_Progress__Output } from './sfda/v1/Progress.js';
import type { RunRef as _sfda_v1_RunRef, RunRef__Output as _sfda_v1_RunRef__Output } from './sfda/v1/RunRef.js';
import type { StartRunRequest as _sfda_v1_StartRunRequest, StartRunRequest__Output as _sfda_v1_StartRunRequest__Output } from './sfda/v1/StartRunRequest.js';
import type { StateChunk as _sfda_v1_StateChunk, StateChunk__Output as _sfda_v1_StateChunk__Output } from './sfda/v1/StateChunk.js';
import type { StopRunRequest as _sfda_v1_StopRunRequest, StopRunRequest__Output as _sfda_v1_StopRunRequest__Output } from './sfda/v1/StopRunRequest.js';
import type { StudentClient as _sfda_v1_StudentClient, StudentDefinition as _sfda_v1_StudentDefinition } from './sfda/v1/Student.js';
import type { StudentState as _sfda_v1_StudentState, StudentState__Output as _sfda_v1_StudentState__Output } from './sfda/v1/StudentState.js';
import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from './sfda/v1/Tensor.js';
import type { WatchStudentRequest as _sfda_v1_WatchStudentRequest, WatchStudentRequest__Output as _sfda_v1_WatchStudentRequest__Output } from './sfda/v1/WatchStudentRequest.js';
import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from './sfda/v1/WeightsVersion.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  sfda: {
    v1: {
      DType: EnumTypeDefinition
      GetStudentStateRequest: MessageTypeDefinition<_sfda_v1_GetStudentStateRequest, _sfda_v1_GetStudentStateRequest__Output>
      Progress: MessageTypeDefinition<_sfda_v1_Progress, _sfda_v1_Progress__Output>
      RunRef: MessageTypeDefinition<_sfda_v1_RunRef, _sfda_v1_RunRef__Output>
      StartRunRequest: MessageTypeDefinition<_sfda_v1_StartRunRequest, _sfda_v1_StartRunRequest__Output>
      StateChunk: MessageTypeDefinition<_sfda_v1_StateChunk, _sfda_v1_StateChunk__Output>
      StopRunRequest: MessageTypeDefinition<_sfda_v1_StopRunRequest, _sfda_v1_StopRunRequest__Output>
      Student: SubtypeConstructor<typeof grpc.Client, _sfda_v1_StudentClient> & { service: _sfda_v1_StudentDefinition }
      StudentState: MessageTypeDefinition<_sfda_v1_StudentState, _sfda_v1_StudentState__Output>
      SyncMode: EnumTypeDefinition
      Tensor: MessageTypeDefinition<_sfda_v1_Tensor, _sfda_v1_Tensor__Output>
      WatchStudentRequest: MessageTypeDefinition<_sfda_v1_WatchStudentRequest, _sfda_v1_WatchStudentRequest__Output>
      WeightsVersion: MessageTypeDefinition<_sfda_v1_WeightsVersion, _sfda_v1_WeightsVersion__Output>
    }
  }
}

