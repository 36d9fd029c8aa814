/**
 * Opening a trained model for inference: a model file (`*.ckpt`, model-file.ts) runs through a
 * TrainStepRunner with the predict graph (any input size); an ONNX file runs directly on
 * onnxruntime at the input shape it declares (its sidecar `<file>.json`, when present, gives
 * the normalisation and classes; otherwise the caller's defaults apply).
 */
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../engine/ir/tensor.js';
import { decodeModel } from '../engine/onnx/decode.js';
import { fromOrt, toOrt } from '../engine/runtime/ort-tensor.js';
import { TrainStepRunner } from '../engine/runtime/train-step-runner.js';
import type { BatchPredictor } from './predictor.js';
import { IMAGENET_NORMALIZATION, loadModelFile, ModelFileError, readAnySidecar, type AnyModelFile, type AnyModelMeta, type Normalization } from './model-file.js';
import { argmaxLabels, importedPredictNet, SegPredictor } from './seg-net.js';

export interface OpenedModel {
  readonly file: string;
  readonly kind: 'checkpoint' | 'onnx';
  /** Metadata (model file, or ONNX sidecar); undefined for a bare ONNX file. */
  readonly meta?: AnyModelMeta;
  readonly normalize: Normalization;
  /** Number of classes the model predicts. */
  readonly numClasses: number;
  /** Fixed input [width, height] (ONNX); undefined when any size works. */
  readonly inputSize?: readonly [number, number];
  readonly predict: BatchPredictor;
  logits(images: TensorData): Promise<TensorData>;
  close(): Promise<void>;
}

export interface OpenModelOptions {
  readonly threads?: number;
  /** Images per run (model files). Default 4. */
  readonly batch?: number;
  /** Normalisation of a bare ONNX file (no sidecar). Default ImageNet. */
  readonly normalize?: Normalization;
}

/** Runs a model file's network on a fresh runner. */
export async function openModelFile(m: AnyModelFile, file: string, opts: OpenModelOptions = {}): Promise<OpenedModel> {
  const runner = await TrainStepRunner.start({ threads: opts.threads ?? 0 });
  await runner.setState(m.tensors);
  const p = new SegPredictor(runner, m.onnx !== undefined ? importedPredictNet(m.onnx, m.meta) : m.meta.spec, { batch: opts.batch ?? 4 });
  return {
    file, kind: 'checkpoint', meta: m.meta, normalize: m.meta.normalize, numClasses: m.meta.classes.length,
    predict: (x) => p.predict(x), logits: (x) => p.logits(x), close: () => runner.close(),
  };
}

async function openOnnx(file: string, opts: OpenModelOptions): Promise<OpenedModel> {
  const bytes = fs.readFileSync(file);
  const dec = decodeModel(bytes);
  const init = new Set(dec.graph.initializers.keys());
  const inputs = dec.graph.inputs.filter((i) => !init.has(i.name));
  if (inputs.length !== 1) throw new ModelFileError(file, `an ONNX segmentation model must have one image input (it has ${inputs.length})`);
  const inp = inputs[0]!;
  const shape = inp.shape;
  if (!shape || shape.length !== 4 || shape[1] !== 3) throw new ModelFileError(file, `input '${inp.name}' must be [N,3,H,W] (declared ${JSON.stringify(shape)})`);
  const fixed = (d: unknown) => (typeof d === 'number' && d > 0 ? d : undefined);
  const [n, h, w] = [fixed(shape[0]), fixed(shape[2]), fixed(shape[3])];
  const outInfo = dec.graph.outputs[0];
  const outShape = outInfo?.shape;
  const meta = readAnySidecar(file);
  const numClasses = meta?.classes.length ?? (outShape && typeof outShape[1] === 'number' ? outShape[1] : undefined);
  if (numClasses === undefined) throw new ModelFileError(file, 'cannot tell the number of classes (no sidecar, and output dimension 1 is not fixed)');
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: opts.threads ?? 0, graphOptimizationLevel: 'all' });
  const logits = async (images: TensorData): Promise<TensorData> => {
    const [N, C, H, W] = images.shape as [number, number, number, number];
    const step = n ?? N;
    const parts: Float32Array[] = [];
    for (let s = 0; s < N; s += step) {
      const m = Math.min(step, N - s);
      const chunk = new Float32Array(step * C * H * W);
      chunk.set((images.data as Float32Array).subarray(s * C * H * W, (s + m) * C * H * W));
      const r = await session.run({ [inp.name]: toOrt({ dtype: 'float32', shape: [step, C, H, W], data: chunk }) });
      const out = fromOrt(r[session.outputNames[0]!]!);
      parts.push((out.data as Float32Array).subarray(0, m * numClasses * H * W));
    }
    const data = new Float32Array(N * numClasses * H * W);
    let o = 0;
    for (const p of parts) { data.set(p, o); o += p.length; }
    return { dtype: 'float32', shape: [N, numClasses, H, W], data };
  };
  return {
    file, kind: 'onnx', ...(meta ? { meta } : {}), normalize: meta?.normalize ?? opts.normalize ?? IMAGENET_NORMALIZATION, numClasses,
    ...(h !== undefined && w !== undefined ? { inputSize: [w, h] as const } : {}),
    logits, predict: async (x) => argmaxLabels(await logits(x)), close: () => session.release(),
  };
}

/** Opens `file`: '.onnx' → ONNX, anything else → model file. */
export async function openModel(file: string, opts: OpenModelOptions = {}): Promise<OpenedModel> {
  if (!fs.existsSync(file)) throw new ModelFileError(file, 'does not exist');
  if (file.endsWith('.onnx')) return openOnnx(file, opts);
  return openModelFile(await loadModelFile(file), file, opts);
}
