/**
 * Where a TrainStepRunner's executor lives: in a worker thread (default; the event loop stays
 * responsive during a step) or in the calling thread (tools, tests, debugging).
 */
import type { TensorData } from '../ir/tensor.js';
import { StepExecutor, type ExecutorOptions, type RawRun } from './executor.js';
import type { TensorSpec } from './tensor-spec.js';
import type { Program } from './program.js';
import type { ProviderChoice } from './providers.js';
import { ownedCopy } from './transfer.js';

export interface Backend {
  init(opts: ExecutorOptions, log: (msg: string) => void): Promise<ProviderChoice>;
  addProgram(p: Program): Promise<void>;
  /** `transfer`: the arrays may be moved to the executor (the caller gives them up). */
  setState(entries: [string, TensorData][], transfer: boolean): Promise<void>;
  /** Copies of the state tensors. */
  getState(names?: string[]): Promise<Map<string, TensorData>>;
  /** dtype and shape of every state tensor held. */
  stateInfo(): Promise<Map<string, TensorSpec>>;
  run(key: string, feeds: Record<string, TensorData>, lr: number | undefined, transfer: boolean): Promise<RawRun>;
  close(): Promise<void>;
}

/** The executor in the calling thread (each run blocks the event loop while it lasts). */
export class InThreadBackend implements Backend {
  private readonly exec = new StepExecutor();

  init(opts: ExecutorOptions, log: (msg: string) => void): Promise<ProviderChoice> {
    return this.exec.init(opts, log);
  }

  addProgram(p: Program): Promise<void> {
    return this.exec.addProgram(p);
  }

  async setState(entries: [string, TensorData][], transfer: boolean): Promise<void> {
    this.exec.setState(transfer ? entries : entries.map(([k, v]) => [k, ownedCopy(v)]));
  }

  async getState(names?: string[]): Promise<Map<string, TensorData>> {
    return new Map([...this.exec.getState(names)].map(([k, v]) => [k, ownedCopy(v)]));
  }

  async stateInfo(): Promise<Map<string, TensorSpec>> {
    return new Map(this.exec.stateInfo());
  }

  run(key: string, feeds: Record<string, TensorData>, lr: number | undefined): Promise<RawRun> {
    return this.exec.run(key, feeds, lr);
  }

  close(): Promise<void> {
    return this.exec.close();
  }
}
