/** A compiled graph in the form the runtime ships to its worker: encoded ONNX bytes + signature. */
import type { CompiledGraph, GraphSignature } from '../compile/signature.js';
import { lowerTrainingBatchNorm } from '../ir/lower-batchnorm.js';
import { encodeModel } from '../onnx/encode.js';

export interface Program {
  /** Cache key: one session per key (a graph at one input shape). */
  readonly key: string;
  /** The ONNX ModelProto bytes. */
  readonly model: Uint8Array;
  readonly signature: GraphSignature;
}

/**
 * Encodes a compiled graph. Train-mode BatchNormalization nodes are first lowered to primitive
 * ops (PyTorch's unbiased running variance; see ir/lower-batchnorm.ts), as every encoder of a
 * graph for onnxruntime must.
 */
export function toProgram(key: string, compiled: CompiledGraph): Program {
  return { key, model: encodeModel(lowerTrainingBatchNorm(compiled.graph)), signature: compiled.signature };
}
