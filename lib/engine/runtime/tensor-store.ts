/**
 * TensorStore: a named parameter store (a Map of TensorData) that saves to and loads from the
 * checkpoint format of checkpoint.ts.
 */
import type { TensorData } from '../ir/tensor.js';
import { loadCheckpoint, saveCheckpoint, type JsonValue } from './checkpoint.js';
import { specsOf, type TensorSpec } from './tensor-spec.js';

export class TensorStore extends Map<string, TensorData> {
  /** dtype and shape of every tensor, e.g. the `expect` of a load. */
  specs(): Map<string, TensorSpec> {
    return specsOf(this);
  }

  /** Writes every tensor, the step and the metadata atomically. */
  save(file: string, opts: { step: number; metadata?: JsonValue }): Promise<void> {
    return saveCheckpoint(file, { step: opts.step, tensors: this, ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}) });
  }

  /** Reads a checkpoint; with `expect`, its tensors must match it exactly (see loadCheckpoint). */
  static async load(file: string, opts: { expect?: ReadonlyMap<string, TensorSpec> } = {}): Promise<{ store: TensorStore; step: number; metadata: JsonValue }> {
    const c = await loadCheckpoint(file, opts);
    return { store: new TensorStore(c.tensors), step: c.step, metadata: c.metadata };
  }
}
