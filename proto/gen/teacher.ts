import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ExportStateRequest as _sfda_v1_ExportStateRequest, ExportStateRequest__Output as _sfda_v1_ExportStateRequest__Output } from './sfda/v1/ExportStateRequest.js';
import type { GetTeacherStateRequest as _sfda_v1_GetTeacherStateRequest, GetTeacherStateRequest__Output as _sfda_v1_GetTeacherStateRequest__Output } from './sfda/v1/GetTeacherStateRequest.js';
import type { ImportStateReply as _sfda_v1_ImportStateReply, ImportStateReply__Output as _sfda_v1_ImportStateReply__Output } from './sfda/v1/ImportStateReply.js';
import type { LabelReply as _sfda_v1_LabelReply, LabelReply__Output as _sfda_v1_LabelReply__Output } from './sfda/v1/LabelReply.js';
import type { LabelRequest as _sfda_v1_LabelRequest, LabelRequest__Output as _sfda_v1_LabelRequest__Output } from './sfda/v1/LabelRequest.js';
import type { LoadRunReply as _sfda_v1_LoadRunReply, LoadRunReply__Output as _sfda_v1_LoadRunReply__Output } from './sfda/v1/LoadRunReply.js';
import type { LoadRunRequest as _sfda_v1_LoadRunRequest, LoadRunRequest__Output as _sfda_v1_LoadRunRequest__Output } from './sfda/v1/LoadRunRequest.js';
import type { PredictReply as _sfda_v1_PredictReply, PredictReply__Output as _sfda_v1_PredictReply__Output } from './sfda/v1/PredictReply.js';
import type { PredictRequest as _sfda_v1_PredictRequest, PredictRequest__Output as _sfda_v1_PredictRequest__Output } from './sfda/v1/PredictRequest.js';
import type { Progress as _sfda_v1_Progress, Progress__Output as _sfda_v1_Progress__Output } from './sfda/v1/Progress.js';
import type { RunRef as _sfda_v1_RunRef, RunRef__Output as _sfda_v1_RunRef__Output } from './sfda/v1/RunRef.js';
import type { StateChunk as _sfda_v1_StateChunk, StateChunk__Output as _sfda_v1_StateChunk__Output } from './sfda/v1/StateChunk.js';
import type { SyncWeightsReply as _sfda_v1_SyncWeightsReply, SyncWeightsReply__Output as _sfda_v1_SyncWeightsReply__Output } from './sfda/v1/SyncWeightsReply.js';
import type { SyncWeightsRequest as _sfda_v1_SyncWeightsRequest, SyncWeightsRequest__Output as _sfda_v1_SyncWeightsRequest__Output } from './sfda/v1/SyncWeightsRequest.js';
import type { TeacherClient as _sfda_v1_TeacherClient, TeacherDefinition as _sfda_v1_TeacherDefinition } from './sfda/v1/Teacher.js';
import type { TeacherState as _sfda_v1_TeacherState, TeacherState__Output as _sfda_v1_TeacherState__Output } from './sfda/v1/TeacherState.js';
import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from './sfda/v1/Tensor.js';
import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from './sfda/v1/WeightsVersion.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  sfda: {
    v1: {
      DType: EnumTypeDefinition
      ExportStateRequest: MessageTypeDefinition<_sfda_v1_ExportStateRequest, _sfda_v1_ExportStateRequest__Output>
      GetTeacherStateRequest: MessageTypeDefinition<_sfda_v1_GetTeacherStateRequest, _sfda_v1_GetTeacherStateRequest__Output>
      ImportStateReply: MessageTypeDefinition<_sfda_v1_ImportStateReply, _sfda_v1_ImportStateReply__Output>
      LabelReply: MessageTypeDefinition<_sfda_v1_LabelReply, _sfda_v1_LabelReply__Output>
      LabelRequest: MessageTypeDefinition<_sfda_v1_LabelRequest, _sfda_v1_LabelRequest__Output>
      LoadRunReply: MessageTypeDefinition<_sfda_v1_LoadRunReply, _sfda_v1_LoadRunReply__Output>
      LoadRunRequest: MessageTypeDefinition<_sfda_v1_LoadRunRequest, _sfda_v1_LoadRunRequest__Output>
      PredictReply: MessageTypeDefinition<_sfda_v1_PredictReply, _sfda_v1_PredictReply__Output>
      PredictRequest: MessageTypeDefinition<_sfda_v1_PredictRequest, _sfda_v1_PredictRequest__Output>
      Progress: MessageTypeDefinition<_sfda_v1_Progress, _sfda_v1_Progress__Output>
      RunRef: MessageTypeDefinition<_sfda_v1_RunRef, _sfda_v1_RunRef__Output>
      StateChunk: MessageTypeDefinition<_sfda_v1_StateChunk, _sfda_v1_StateChunk__Output>
      SyncWeightsReply: MessageTypeDefinition<_sfda_v1_SyncWeightsReply, _sfda_v1_SyncWeightsReply__Output>
      SyncWeightsRequest: MessageTypeDefinition<_sfda_v1_SyncWeightsRequest, _sfda_v1_SyncWeightsRequest__Output>
      Teacher: SubtypeConstructor<typeof grpc.Client, _sfda_v1_TeacherClient> & { service: _sfda_v1_TeacherDefinition }
      TeacherState: MessageTypeDefinition<_sfda_v1_TeacherState, _sfda_v1_TeacherState__Output>
      Tensor: MessageTypeDefinition<_sfda_v1_Tensor, _sfda_v1_Tensor__Output>
      WeightsVersion: MessageTypeDefinition<_sfda_v1_WeightsVersion, _sfda_v1_WeightsVersion__Output>
    }
  }
}

