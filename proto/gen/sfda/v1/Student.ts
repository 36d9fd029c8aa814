// Original file: proto/sfda/v1/student.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetStudentStateRequest as _sfda_v1_GetStudentStateRequest, GetStudentStateRequest__Output as _sfda_v1_GetStudentStateRequest__Output } from '../../sfda/v1/GetStudentStateRequest.js';
import type { Progress as _sfda_v1_Progress, Progress__Output as _sfda_v1_Progress__Output } from '../../sfda/v1/Progress.js';
import type { StartRunRequest as _sfda_v1_StartRunRequest, StartRunRequest__Output as _sfda_v1_StartRunRequest__Output } from '../../sfda/v1/StartRunRequest.js';
import type { StopRunRequest as _sfda_v1_StopRunRequest, StopRunRequest__Output as _sfda_v1_StopRunRequest__Output } from '../../sfda/v1/StopRunRequest.js';
import type { StudentState as _sfda_v1_StudentState, StudentState__Output as _sfda_v1_StudentState__Output } from '../../sfda/v1/StudentState.js';
import type { WatchStudentRequest as _sfda_v1_WatchStudentRequest, WatchStudentRequest__Output as _sfda_v1_WatchStudentRequest__Output } from '../../sfda/v1/WatchStudentRequest.js';

export interface StudentClient extends grpc.Client {
  GetState(argument: _sfda_v1_GetStudentStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _sfda_v1_GetStudentStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _sfda_v1_GetStudentStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _sfda_v1_GetStudentStateRequest, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetStudentStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetStudentStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetStudentStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  getState(argument: _sfda_v1_GetStudentStateRequest, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts (or resumes from the run folder's latest checkpoint) a run. Idempotent: starting the
   * run that is already running returns its state.
   */
  StartRun(argument: _sfda_v1_StartRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  StartRun(argument: _sfda_v1_StartRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  StartRun(argument: _sfda_v1_StartRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  StartRun(argument: _sfda_v1_StartRunRequest, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  /**
   * Starts (or resumes from the run folder's latest checkpoint) a run. Idempotent: starting the
   * run that is already running returns its state.
   */
  startRun(argument: _sfda_v1_StartRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_StartRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_StartRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  startRun(argument: _sfda_v1_StartRunRequest, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stops after the current step with a checkpoint.
   */
  StopRun(argument: _sfda_v1_StopRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  StopRun(argument: _sfda_v1_StopRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  StopRun(argument: _sfda_v1_StopRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  StopRun(argument: _sfda_v1_StopRunRequest, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  /**
   * Stops after the current step with a checkpoint.
   */
  stopRun(argument: _sfda_v1_StopRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_StopRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_StopRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  stopRun(argument: _sfda_v1_StopRunRequest, callback: grpc.requestCallback<_sfda_v1_StudentState__Output>): grpc.ClientUnaryCall;
  
  /**
   * Progress events of a run until it ends (or the server shuts down).
   */
  Watch(argument: _sfda_v1_WatchStudentRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  Watch(argument: _sfda_v1_WatchStudentRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  /**
   * Progress events of a run until it ends (or the server shuts down).
   */
  watch(argument: _sfda_v1_WatchStudentRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  watch(argument: _sfda_v1_WatchStudentRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sfda_v1_Progress__Output>;
  
}

export interface StudentHandlers extends grpc.UntypedServiceImplementation {
  GetState: grpc.handleUnaryCall<_sfda_v1_GetStudentStateRequest__Output, _sfda_v1_StudentState>;
  
  /**
   * Starts (or resumes from the run folder's latest checkpoint) a run. Idempotent: starting the
   * run that is already running returns its state.
   */
  StartRun: grpc.handleUnaryCall<_sfda_v1_StartRunRequest__Output, _sfda_v1_StudentState>;
  
  /**
   * Stops after the current step with a checkpoint.
   */
  StopRun: grpc.handleUnaryCall<_sfda_v1_StopRunRequest__Output, _sfda_v1_StudentState>;
  
  /**
   * Progress events of a run until it ends (or the server shuts down).
   */
  Watch: grpc.handleServerStreamingCall<_sfda_v1_WatchStudentRequest__Output, _sfda_v1_Progress>;
  
}

export interface StudentDefinition extends grpc.ServiceDefinition {
  GetState: MethodDefinition<_sfda_v1_GetStudentStateRequest, _sfda_v1_StudentState, _sfda_v1_GetStudentStateRequest__Output, _sfda_v1_StudentState__Output>
  StartRun: MethodDefinition<_sfda_v1_StartRunRequest, _sfda_v1_StudentState, _sfda_v1_StartRunRequest__Output, _sfda_v1_StudentState__Output>
  StopRun: MethodDefinition<_sfda_v1_StopRunRequest, _sfda_v1_StudentState, _sfda_v1_StopRunRequest__Output, _sfda_v1_StudentState__Output>
  Watch: MethodDefinition<_sfda_v1_WatchStudentRequest, _sfda_v1_Progress, _sfda_v1_WatchStudentRequest__Output, _sfda_v1_Progress__Output>
}
