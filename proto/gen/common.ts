import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Progress as _sfda_v1_Progress, Progress__Output as _sfda_v1_Progress__Output } from './sfda/v1/Progress.js';
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
      Progress: MessageTypeDefinition<_sfda_v1_Progress, _sfda_v1_Progress__Output>
      RunRef: MessageTypeDefinition<_sfda_v1_RunRef, _sfda_v1_RunRef__Output>
      StateChunk: MessageTypeDefinition<_sfda_v1_StateChunk, _sfda_v1_StateChunk__Output>
      Tensor: MessageTypeDefinition<_sfda_v1_Tensor, _sfda_v1_Tensor__Output>
      WeightsVersion: MessageTypeDefinition<_sfda_v1_WeightsVersion, _sfda_v1_WeightsVersion__Output>
    }
  }
}

