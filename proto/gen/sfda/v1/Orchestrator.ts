// Original file: proto/sfda/v1/orchestrator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EvaluateReply as _sfda_v1_EvaluateReply, EvaluateReply__Output as _sfda_v1_EvaluateReply__Output } from '../../sfda/v1/EvaluateReply.js';
import type { EvaluateRequest as _sfda_v1_EvaluateRequest, EvaluateRequest__Output as _sfda_v1_EvaluateRequest__Output } from '../../sfda/v1/EvaluateRequest.js';
import type { ExportReply as _sfda_v1_ExportReply, ExportReply__Output as _sfda_v1_ExportReply__Output } from '../../sfda/v1/ExportReply.js';
import type { ExportRequest as _sfda_v1_ExportRequest, ExportRequest__Output as _sfda_v1_ExportRequest__Output } from '../../sfda/v1/ExportRequest.js';
import type { ListRunsReply as _sfda_v1_ListRunsReply, ListRunsReply__Output as _sfda_v1_ListRunsReply__Output } from '../../sfda/v1/ListRunsReply.js';
import type { ListRunsRequest as _sfda_v1_ListRunsRequest, ListRunsRequest__Output as _sfda_v1_ListRunsRequest__Output } from '../../sfda/v1/ListRunsRequest.js';
import type { OrchStartRunRequest as _sfda_v1_OrchStartRunRequest, OrchStartRunRequest__Output as _sfda_v1_OrchStartRunRequest__Output } from '../../sfda/v1/OrchStartRunRequest.js';
import type { Progress as _sfda_v1_Progress, Progress__Output as _sfda_v1_Progress__Output } from '../../sfda/v1/Progress.js';
import type { RunInfo as _sfda_v1_RunInfo, RunInfo__Output as _sfda_v1_RunInfo__Output } from '../../sfda/v1/RunInfo.js';
import type { RunRef as _sfda_v1_RunRef, RunRef__Output as _sfda_v1_RunRef__Output } from '../../sfda/v1/RunRef.js';

export interface OrchestratorClient extends grpc.Client {
  /**
   * mIoU of the run's teacher on its configured labelled split (or another one given).
   */
  Evaluate(argument: _sfda_v1_EvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  Evaluate(argument: _sfda_v1_EvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  Evaluate(argument: _sfda_v1_EvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  Evaluate(argument: _sfda_v1_EvaluateRequest, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  /**
   * mIoU of the run's teacher on its configured labelled split (or another one given).
   */
  evaluate(argument: _sfda_v1_EvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  evaluate(argument: _sfda_v1_EvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  evaluate(argument: _sfda_v1_EvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  evaluate(argument: _sfda_v1_EvaluateRequest, callback: grpc.requestCallback<_sfda_v1_EvaluateReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Writes the run's teacher as a plain inference ONNX model (+ sidecar) to `path`.
   */
  Export(argument: _sfda_v1_ExportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  Export(argument: _sfda_v1_ExportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  Export(argument: _sfda_v1_ExportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  Export(argument: _sfda_v1_ExportRequest, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  /**
   * Writes the run's teacher as a plain inference ONNX model (+ sidecar) to `path`.
   */
  export(argument: _sfda_v1_ExportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  export(argument: _sfda_v1_ExportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  export(argument: _sfda_v1_ExportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  export(argument: _sfda_v1_ExportRequest, callback: grpc.requestCallback<_sfda_v1_ExportReply__Output>): grpc.ClientUnaryCall;
  
  GetRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _sfda_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _sfda_v1_RunRef, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  getRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  getRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  getRun(argument: _sfda_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  getRun(argument: _sfda_v1_RunRef, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  ListRuns(argument: _sfda_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _sfda_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _sfda_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _sfda_v1_ListRunsRequest, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _sfda_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _sfda_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _sfda_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _sfda_v1_ListRunsRequest, callback: grpc.requestCallback<_sfda_v1_ListRunsReply__Output>): grpc.ClientUnaryCall;
  
  ResumeRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  ResumeRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  ResumeRun(argument: _sfda_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  ResumeRun(argument: _sfda_v1_RunRef, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  resumeRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  resumeRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  resumeRun(argument: _sfda_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  resumeRun(argument: _sfda_v1_RunRef, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  StartRun(argument: _sfda_v1_OrchStartRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  StartRun(argument: _sfda_v1_OrchStartRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  StartRun(argument: _sfda_v1_OrchStartRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  StartRun(argument: _sfda_v1_OrchStartRunRequest, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_OrchStartRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_OrchStartRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_OrchStartRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_OrchStartRunRequest, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  StopRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  StopRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  StopRun(argument: _sfda_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  StopRun(argument: _sfda_v1_RunRef, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_RunRef, callback: grpc.requestCallback<_sfda_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Progress events of a run until it ends.
   */
  WatchRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  WatchRun(argument: _sfda_v1_RunRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  /**
   * Progress events of a run until it ends.
   */
  watchRun(argument: _sfda_v1_RunRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  watchRun(argument: _sfda_v1_RunRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  
}

export interface OrchestratorHandlers extends grpc.UntypedServiceImplementation {
  /**
   * mIoU of the run's teacher on its configured labelled split (or another one given).
   */
  Evaluate: grpc.handleUnaryCall<_sfda_v1_EvaluateRequest__Output, _sfda_v1_EvaluateReply>;
  
  /**
   * Writes the run's teacher as a plain inference ONNX model (+ sidecar) to `path`.
   */
  Export: grpc.handleUnaryCall<_sfda_v1_ExportRequest__Output, _sfda_v1_ExportReply>;
  
  GetRun: grpc.handleUnaryCall<_sfda_v1_RunRef__Output, _sfda_v1_RunInfo>;
  
  ListRuns: grpc.handleUnaryCall<_sfda_v1_ListRunsRequest__Output, _sfda_v1_ListRunsReply>;
  
  ResumeRun: grpc.handleUnaryCall<_sfda_v1_RunRef__Output, _sfda_v1_RunInfo>;
  
  StartRun: grpc.handleUnaryCall<_sfda_v1_OrchStartRunRequest__Output, _sfda_v1_RunInfo>;
  
  StopRun: grpc.handleUnaryCall<_sfda_v1_RunRef__Output, _sfda_v1_RunInfo>;
  
  /**
   * Progress events of a run until it ends.
   */
  WatchRun: grpc.handleServerStreamingCall<_sfda_v1_RunRef__Output, _sfda_v1_Progress>;
  
}

export interface OrchestratorDefinition extends grpc.ServiceDefinition {
  Evaluate: MethodDefinition<_sfda_v1_EvaluateRequest, _sfda_v1_EvaluateReply, _sfda_v1_EvaluateRequest__Output, _sfda_v1_EvaluateReply__Output>
  Export: MethodDefinition<_sfda_v1_ExportRequest, _sfda_v1_ExportReply, _sfda_v1_ExportRequest__Output, _sfda_v1_ExportReply__Output>
  GetRun: MethodDefinition<_sfda_v1_RunRef, _sfda_v1_RunInfo, _sfda_v1_RunRef__Output, _sfda_v1_RunInfo__Output>
  ListRuns: MethodDefinition<_sfda_v1_ListRunsRequest, _sfda_v1_ListRunsReply, _sfda_v1_ListRunsRequest__Output, _sfda_v1_ListRunsReply__Output>
  ResumeRun: MethodDefinition<_sfda_v1_RunRef, _sfda_v1_RunInfo, _sfda_v1_RunRef__Output, _sfda_v1_RunInfo__Output>
  StartRun: MethodDefinition<_sfda_v1_OrchStartRunRequest, _sfda_v1_RunInfo, _sfda_v1_OrchStartRunRequest__Output, _sfda_v1_RunInfo__Output>
  StopRun: MethodDefinition<_sfda_v1_RunRef, _sfda_v1_RunInfo, _sfda_v1_RunRef__Output, _sfda_v1_RunInfo__Output>
  WatchRun: MethodDefinition<_sfda_v1_RunRef, _sfda_v1_Progress, _sfda_v1_RunRef__Output, _sfda_v1_Progress__Output>
}
