import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { EvaluateReply as _sfda_v1_EvaluateReply, EvaluateReply__Output as _sfda_v1_EvaluateReply__Output } from './sfda/v1/EvaluateReply.js';
import type { EvaluateRequest as _sfda_v1_EvaluateRequest, EvaluateRequest__Output as _sfda_v1_EvaluateRequest__Output } from './sfda/v1/EvaluateRequest.js';
import type { ExportReply as _sfda_v1_ExportReply, ExportReply__Output as _sfda_v1_ExportReply__Output } from './sfda/v1/ExportReply.js';
import type { ExportRequest as _sfda_v1_ExportRequest, ExportRequest__Output as _sfda_v1_ExportRequest__Output } from './sfda/v1/ExportRequest.js';
import type { ListRunsReply as _sfda_v1_ListRunsReply, ListRunsReply__Output as _sfda_v1_ListRunsReply__Output } from './sfda/v1/ListRunsReply.js';
import type { ListRunsRequest as _sfda_v1_ListRunsRequest, ListRunsRequest__Output as _sfda_v1_ListRunsRequest__Output } from './sfda/v1/ListRunsRequest.js';
import type { OrchStartRunRequest as _sfda_v1_OrchStartRunRequest, OrchStartRunRequest__Output as _sfda_v1_OrchStartRunRequest__Output } from './sfda/v1/OrchStartRunRequest.js';
import type { OrchestratorClient as _sfda_v1_OrchestratorClient, OrchestratorDefinition as _sfda_v1_OrchestratorDefinition } from './sfda/v1/Orchestrator.js';
import type { Progress as _sfda_v1_Progress, Progress__Output as _sfda_v1_Progress__Output } from './sfda/v1/Progress.js';
import type { RunInfo as _sfda_v1_RunInfo, RunInfo__Output as _sfda_v1_RunInfo__Output } from './sfda/v1/RunInfo.js';
import type { RunRef as _sfda_v1_RunRef, RunRef__Output as _sfda_v1_RunRef__Output } from './sfda/v1/RunRef.js';
import type { StateChunk as _sfda_v1_StateChunk, StateChunk__Output as _sfda_v1_StateChunk__Output } from './sfda/v1/StateChunk.js';
import type { Tensor as _sfda_v1_Tensor, Tensor__Output as _sfda_v1_Tensor__Output } from './sfda/v1/Tensor.js';
import type { WeightsVersion as _sfda_v1_WeightsVersion, WeightsVersion__Output as _sfda_v1_WeightsVersion__Output } from './sfda/v1/WeightsVersion.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  sfda: {
    v1: {
      DType: EnumTypeDefinition
      EvaluateReply: MessageTypeDefinition<_sfda_v1_EvaluateReply, _sfda_v1_EvaluateReply__Output>
      EvaluateRequest: MessageTypeDefinition<_sfda_v1_EvaluateRequest, _sfda_v1_EvaluateRequest__Output>
      ExportReply: MessageTypeDefinition<_sfda_v1_ExportReply, _sfda_v1_ExportReply__Output>
      ExportRequest: MessageTypeDefinition<_sfda_v1_ExportRequest, _sfda_v1_ExportRequest__Output>
      ListRunsReply: MessageTypeDefinition<_sfda_v1_ListRunsReply, _sfda_v1_ListRunsReply__Output>
      ListRunsRequest: MessageTypeDefinition<_sfda_v1_ListRunsRequest, _sfda_v1_ListRunsRequest__Output>
      OrchStartRunRequest: MessageTypeDefinition<_sfda_v1_OrchStartRunRequest, _sfda_v1_OrchStartRunRequest__Output>
      Orchestrator: SubtypeConstructor<typeof grpc.Client, _sfda_v1_OrchestratorClient> & { service: _sfda_v1_OrchestratorDefinition }
      Progress: MessageTypeDefinition<_sfda_v1_Progress, _sfda_v1_Progress__Output>
      RunInfo: MessageTypeDefinition<_sfda_v1_RunInfo, _sfda_v1_RunInfo__Output>
      RunRef: MessageTypeDefinition<_sfda_v1_RunRef, _sfda_v1_RunRef__Output>
      StateChunk: MessageTypeDefinition<_sfda_v1_StateChunk, _sfda_v1_StateChunk__Output>
      Tensor: MessageTypeDefinition<_sfda_v1_Tensor, _sfda_v1_Tensor__Output>
      WeightsVersion: MessageTypeDefinition<_sfda_v1_WeightsVersion, _sfda_v1_WeightsVersion__Output>
    }
  }
}

