/** Messages between TrainStepRunner (main thread) and step-worker.ts (its worker thread). */
import type { TensorData } from '../ir/tensor.js';
import type { ExecutorOptions, RawRun } from './executor.js';
import type { TensorSpec } from './tensor-spec.js';
import type { Program } from './program.js';
import type { ProviderChoice } from './providers.js';

export type Request =
  | { readonly type: 'init'; readonly options: ExecutorOptions }
  | { readonly type: 'addProgram'; readonly program: Program }
  | { readonly type: 'setState'; readonly tensors: [string, TensorData][] }
  | { readonly type: 'getState'; readonly names?: string[] }
  | { readonly type: 'stateInfo' }
  | { readonly type: 'run'; readonly key: string; readonly feeds: Record<string, TensorData>; readonly lr?: number }
  | { readonly type: 'close' };

export interface ResultOf {
  init: ProviderChoice;
  addProgram: null;
  setState: null;
  getState: [string, TensorData][];
  stateInfo: [string, TensorSpec][];
  run: RawRun;
  close: null;
}

export type ToWorker = Request & { readonly id: number };

export type FromWorker =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly kind: 'log'; readonly message: string };

/** An error crossing the thread boundary; `provider`/`reason` rebuild a ProviderUnavailableError. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly provider?: string;
  readonly reason?: string;
}
