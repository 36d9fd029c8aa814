/**
 * One-shot execution of a Graph on onnxruntime-node (CPU): for tests, constant evaluation and
 * tools. Training uses the cached sessions of the runtime instead.
 */
import * as ort from 'onnxruntime-node';
import type { Graph } from '../ir/graph.js';
import type { TensorData } from '../ir/tensor.js';
import { encodeModel } from '../onnx/encode.js';
import { lowerTrainingBatchNorm } from '../ir/lower-batchnorm.js';
import { fromOrt, toOrt } from './ort-tensor.js';

export async function runGraph(graph: Graph, feeds: Record<string, TensorData>, fetches?: string[], opts: { threads?: number } = {}): Promise<Record<string, TensorData>> {
  const bytes = encodeModel(lowerTrainingBatchNorm(graph));
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads ?? 0,
    graphOptimizationLevel: 'all',
  });
  try {
    const inFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) inFeeds[k] = toOrt(v);
    const res = await session.run(inFeeds, fetches ?? graph.outputs.map((o) => o.name));
    const out: Record<string, TensorData> = {};
    for (const [k, v] of Object.entries(res)) out[k] = fromOrt(v);
    return out;
  } finally {
    await session.release();
  }
}
