// Original file: proto/sfda/v1/teacher.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExportStateRequest as _sfda_v1_ExportStateRequest, ExportStateRequest__Output as _sfda_v1_ExportStateRequest__Output } from '../../sfda/v1/ExportStateRequest.js';
import type { GetTeacherStateRequest as _sfda_v1_GetTeacherStateRequest, GetTeacherStateRequest__Output as _sfda_v1_GetTeacherStateRequest__Output } from '../../sfda/v1/GetTeacherStateRequest.js';
import type { ImportStateReply as _sfda_v1_ImportStateReply, ImportStateReply__Output as _sfda_v1_ImportStateReply__Output } from '../../sfda/v1/ImportStateReply.js';
import type { LabelReply as _sfda_v1_LabelReply, LabelReply__Output as _sfda_v1_LabelReply__Output } from '../../sfda/v1/LabelReply.js';
import type { LabelRequest as _sfda_v1_LabelRequest, LabelRequest__Output as _sfda_v1_LabelRequest__Output } from '../../sfda/v1/LabelRequest.js';
import type { LoadRunReply as _sfda_v1_LoadRunReply, LoadRunReply__Output as _sfda_v1_LoadRunReply__Output } from '../../sfda/v1/LoadRunReply.js';
import type { LoadRunRequest as _sfda_v1_LoadRunRequest, LoadRunRequest__Output as _sfda_v1_LoadRunRequest__Output } from '../../sfda/v1/LoadRunRequest.js';
import type { PredictReply as _sfda_v1_PredictReply, PredictReply__Output as _sfda_v1_PredictReply__Output } from '../../sfda/v1/PredictReply.js';
import type { PredictRequest as _sfda_v1_PredictRequest, PredictRequest__Output as _sfda_v1_PredictRequest__Output } from '../../sfda/v1/PredictRequest.js';
import type { StateChunk as _sfda_v1_StateChunk, StateChunk__Output as _sfda_v1_StateChunk__Output } from '../../sfda/v1/StateChunk.js';
import type { SyncWeightsReply as _sfda_v1_SyncWeightsReply, SyncWeightsReply__Output as _sfda_v1_SyncWeightsReply__Output } from '../../sfda/v1/SyncWeightsReply.js';
import type { SyncWeightsRequest as _sfda_v1_SyncWeightsRequest, SyncWeightsRequest__Output as _sfda_v1_SyncWeightsRequest__Output } from '../../sfda/v1/SyncWeightsRequest.js';
import type { TeacherState as _sfda_v1_TeacherState, TeacherState__Output as _sfda_v1_TeacherState__Output } from '../../sfda/v1/TeacherState.js';

export interface TeacherClient extends grpc.Client {
  /**
   * The teacher's state tensors (EMA weights, metric network, proxies, optimiser state).
   */
  ExportState(argument: _sfda_v1_ExportStateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_StateChunk__Output>;
  ExportState(argument: _sfda_v1_ExportStateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_StateChunk__Output>;
  /**
   * The teacher's state tensors (EMA weights, metric network, proxies, optimiser state).
   */
  exportState(argument: _sfda_v1_ExportStateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_StateChunk__Output>;
  exportState(argument: _sfda_v1_ExportStateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_StateChunk__Output>;
  
  GetState(argument: _sfda_v1_GetTeacherStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _sfda_v1_GetTeacherStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _sfda_v1_GetTeacherStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _sfda_v1_GetTeacherStateRequest, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetTeacherStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetTeacherStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetTeacherStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetTeacherStateRequest, callback: grpc.requestCallback<_sfda_v1_TeacherState__Output>): grpc.ClientUnaryCall;
  
  /**
   * Replaces the teacher's state (resume from a checkpoint); the first chunk names the run.
   */
  ImportState(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  ImportState(metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  ImportState(options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  ImportState(callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  /**
   * Replaces the teacher's state (resume from a checkpoint); the first chunk names the run.
   */
  importState(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  importState(metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  importState(options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  importState(callback: grpc.requestCallback<_sfda_v1_ImportStateReply__Output>): grpc.ClientWritableStream<_sfda_v1_StateChunk>;
  
  /**
   * Iteration `step` of a run: teacher forward on the normalised batch, metric step (when the
   * metric network is on), reliability. Idempotent by (run_id, step): a repeated step returns
   * the answer computed the first time (no second metric step). Waits (bounded by the deadline)
   * until the teacher's weights version is >= min_version.
   */
  Label(argument: _sfda_v1_LabelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  Label(argument: _sfda_v1_LabelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  Label(argument: _sfda_v1_LabelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  Label(argument: _sfda_v1_LabelRequest, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  /**
   * Iteration `step` of a run: teacher forward on the normalised batch, metric step (when the
   * metric network is on), reliability. Idempotent by (run_id, step): a repeated step returns
   * the answer computed the first time (no second metric step). Waits (bounded by the deadline)
   * until the teacher's weights version is >= min_version.
   */
  label(argument: _sfda_v1_LabelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  label(argument: _sfda_v1_LabelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  label(argument: _sfda_v1_LabelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  label(argument: _sfda_v1_LabelRequest, callback: grpc.requestCallback<_sfda_v1_LabelReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Builds the teacher for a run (the source model, the method config) and starts NATS sync.
   * The health status turns SERVING when it is loaded. A second LoadRun with the same run_id
   * and config hash is a no-op (idempotent); another run replaces it.
   */
  LoadRun(argument: _sfda_v1_LoadRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  LoadRun(argument: _sfda_v1_LoadRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  LoadRun(argument: _sfda_v1_LoadRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  LoadRun(argument: _sfda_v1_LoadRunRequest, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  /**
   * Builds the teacher for a run (the source model, the method config) and starts NATS sync.
   * The health status turns SERVING when it is loaded. A second LoadRun with the same run_id
   * and config hash is a no-op (idempotent); another run replaces it.
   */
  loadRun(argument: _sfda_v1_LoadRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  loadRun(argument: _sfda_v1_LoadRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  loadRun(argument: _sfda_v1_LoadRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  loadRun(argument: _sfda_v1_LoadRunRequest, callback: grpc.requestCallback<_sfda_v1_LoadRunReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Label predictions of the teacher for normalised images (evaluation, export checks).
   */
  Predict(argument: _sfda_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  Predict(argument: _sfda_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  Predict(argument: _sfda_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  Predict(argument: _sfda_v1_PredictRequest, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  /**
   * Label predictions of the teacher for normalised images (evaluation, export checks).
   */
  predict(argument: _sfda_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  predict(argument: _sfda_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  predict(argument: _sfda_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  predict(argument: _sfda_v1_PredictRequest, callback: grpc.requestCallback<_sfda_v1_PredictReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pull and apply the newest weight snapshot >= min_version from NATS now.
   */
  SyncWeights(argument: _sfda_v1_SyncWeightsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  SyncWeights(argument: _sfda_v1_SyncWeightsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  SyncWeights(argument: _sfda_v1_SyncWeightsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  SyncWeights(argument: _sfda_v1_SyncWeightsRequest, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  /**
   * Pull and apply the newest weight snapshot >= min_version from NATS now.
   */
  syncWeights(argument: _sfda_v1_SyncWeightsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  syncWeights(argument: _sfda_v1_SyncWeightsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  syncWeights(argument: _sfda_v1_SyncWeightsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  syncWeights(argument: _sfda_v1_SyncWeightsRequest, callback: grpc.requestCallback<_sfda_v1_SyncWeightsReply__Output>): grpc.ClientUnaryCall;
  
}

export interface TeacherHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The teacher's state tensors (EMA weights, metric network, proxies, optimiser state).
   */
  ExportState: grpc.handleServerStreamingCall<_sfda_v1_ExportStateRequest__Output, _sfda_v1_StateChunk>;
  
  GetState: grpc.handleUnaryCall<_sfda_v1_GetTeacherStateRequest__Output, _sfda_v1_TeacherState>;
  
  /**
   * Replaces the teacher's state (resume from a checkpoint); the first chunk names the run.
   */
  ImportState: grpc.handleClientStreamingCall<_sfda_v1_StateChunk__Output, _sfda_v1_ImportStateReply>;
  
  /**
   * Iteration `step` of a run: teacher forward on the normalised batch, metric step (when the
   * metric network is on), reliability. Idempotent by (run_id, step): a repeated step returns
   * the answer computed the first time (no second metric step). Waits (bounded by the deadline)
   * until the teacher's weights version is >= min_version.
   */
  Label: grpc.handleUnaryCall<_sfda_v1_LabelRequest__Output, _sfda_v1_LabelReply>;
  
  /**
   * Builds the teacher for a run (the source model, the method config) and starts NATS sync.
   * The health status turns SERVING when it is loaded. A second LoadRun with the same run_id
   * and config hash is a no-op (idempotent); another run replaces it.
   */
  LoadRun: grpc.handleUnaryCall<_sfda_v1_LoadRunRequest__Output, _sfda_v1_LoadRunReply>;
  
  /**
   * Label predictions of the teacher for normalised images (evaluation, export checks).
   */
  Predict: grpc.handleUnaryCall<_sfda_v1_PredictRequest__Output, _sfda_v1_PredictReply>;
  
  /**
   * Pull and apply the newest weight snapshot >= min_version from NATS now.
   */
  SyncWeights: grpc.handleUnaryCall<_sfda_v1_SyncWeightsRequest__Output, _sfda_v1_SyncWeightsReply>;
  
}

export interface TeacherDefinition extends grpc.ServiceDefinition {
  ExportState: MethodDefinition<_sfda_v1_ExportStateRequest, _sfda_v1_StateChunk, _sfda_v1_ExportStateRequest__Output, _sfda_v1_StateChunk__Output>
  GetState: MethodDefinition<_sfda_v1_GetTeacherStateRequest, _sfda_v1_TeacherState, _sfda_v1_GetTeacherStateRequest__Output, _sfda_v1_TeacherState__Output>
  ImportState: MethodDefinition<_sfda_v1_StateChunk, _sfda_v1_ImportStateReply, _sfda_v1_StateChunk__Output, _sfda_v1_ImportStateReply__Output>
  Label: MethodDefinition<_sfda_v1_LabelRequest, _sfda_v1_LabelReply, _sfda_v1_LabelRequest__Output, _sfda_v1_LabelReply__Output>
  LoadRun: MethodDefinition<_sfda_v1_LoadRunRequest, _sfda_v1_LoadRunReply, _sfda_v1_LoadRunRequest__Output, _sfda_v1_LoadRunReply__Output>
  Predict: MethodDefinition<_sfda_v1_PredictRequest, _sfda_v1_PredictReply, _sfda_v1_PredictRequest__Output, _sfda_v1_PredictReply__Output>
  SyncWeights: MethodDefinition<_sfda_v1_SyncWeightsRequest, _sfda_v1_SyncWeightsReply, _sfda_v1_SyncWeightsRequest__Output, _sfda_v1_SyncWeightsReply__Output>
}
