/**
 * The DeepLab networks every trainer compiles, in one place:
 *
 * - `compileSupervisedStep(spec, opts)`: a training step on input 'image' [N,3,H,W] float32
 *   and 'labels' [N,H,W] int64 (and, with `weighted`, 'weights' [N,H,W] float32): logits
 *   upsampled bilinearly to H×W, softmax CE with ignore 255 (lib/engine/losses), backbone
 *   and head groups (head lr × headLrMult), train-mode BN running statistics as buffers.
 * - `compilePredict(spec, n, h, w)`: the evaluation graph: BN in eval mode on the running
 *   statistics (spec.bn forced to 'frozen'), output 'logits' [N,C,H,W] at input resolution;
 *   every initializer (weights and running statistics) is a state slot, so the graph reads
 *   the current values of the runner's state store.
 * - `SegPredictor`: a BatchPredictor over a runner: compiles one predict program per input
 *   size (batch fixed at `batch`; smaller batches are zero-padded), returns argmax labels.
 * - `exportSegOnnx(file, spec, tensors, meta)`: the inference ONNX model (input 'image'
 *   [1,3,H,W], output 'logits' [1,C,H,W], eval-mode BN) + its sidecar JSON (model-file.ts).
 *
 * `statePrefix` renames the network's state tensors ('teacher/' + name, …) so several
 * copies of a network can share one runner (state-prefix.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileEval, compileTrainStep, type CompiledGraph } from '../engine/compile/index.js';
import type { ClipConfig } from '../engine/compile/clip.js';
import type { TensorData } from '../engine/ir/tensor.js';
import { softmaxCrossEntropy } from '../engine/losses/cross-entropy.js';
import type { GraphBuilder } from '../engine/ir/builder.js';
import { createDeepLab, type DeepLabSpec, type SegModel } from '../engine/models/index.js';
import { saveInferenceModel } from '../engine/onnx/export.js';
import type { OptimizerConfig } from '../engine/optim/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { TrainStepRunner } from '../engine/runtime/train-step-runner.js';
import { isImportedMeta, type AnyModelMeta, type ImportedModelMeta } from './model-file.js';
import { buildImportedNet } from './imported-net.js';
import { sidecarPath } from './model-file.js';
import { withStatePrefix } from './state-prefix.js';

export interface SupervisedStepOptions {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly optimizer: OptimizerConfig;
  /** Learning-rate multiplier of the classifier (DeepLab: 10). Default 10. */
  readonly headLrMult?: number;
  /** Add a per-pixel 'weights' input [N,H,W] to the CE. Default false. */
  readonly weighted?: boolean;
  readonly clip?: ClipConfig;
  /** Optimiser-state prefix (compileTrainStep statePrefix). Default 'optim'. */
  readonly optimPrefix?: string;
  /** Prefix of every state tensor in the runner (see withStatePrefix). Default ''. */
  readonly statePrefix?: string;
}

/** Upsampled logits of a model as a named value (the network's output 'logits'). */
function fullLogits(model: SegModel, g: GraphBuilder): string {
  if (!model.logitsFull) throw new Error('seg-net: the model must be built with upsampleLogits');
  return g.op1('Identity', [model.logitsFull], {}, { outputName: 'logits' });
}

export function compileSupervisedStep(spec: DeepLabSpec, o: SupervisedStepOptions): { compiled: CompiledGraph; model: SegModel } {
  const { g, model } = createDeepLab({ ...spec, upsampleLogits: true }, o.batch, o.height, o.width, 'seg_train');
  const logits = fullLogits(model, g);
  const labels = g.input('labels', 'int64', [o.batch, o.height, o.width]);
  const weights = o.weighted ? g.input('weights', 'float32', [o.batch, o.height, o.width]) : undefined;
  const ce = softmaxCrossEntropy(g, logits, labels, weights ? { weights } : {});
  const groups = [{ params: model.params.backbone }, { params: model.params.head, lrMult: o.headLrMult ?? 10 }].filter((x) => x.params.length > 0);
  const compiled = compileTrainStep(g, {
    loss: ce.loss,
    // start the backward pass from the closed-form dL/dz (cheaper than differentiating the CE)
    seeds: [{ value: logits, grad: ce.dLogits }],
    groups,
    optimizer: o.optimizer,
    ...(o.clip ? { clip: o.clip } : {}),
    buffers: model.bnUpdates.flatMap((u) => [{ name: u.mean, from: u.newMean }, { name: u.var, from: u.newVar }]),
    ...(o.optimPrefix ? { statePrefix: o.optimPrefix } : {}),
  });
  return { compiled: withStatePrefix(compiled, o.statePrefix ?? ''), model };
}

/** The evaluation graph (see the file comment). */
export function compilePredict(spec: DeepLabSpec, n: number, h: number, w: number, statePrefix = ''): CompiledGraph {
  const { g, model } = createDeepLab({ ...spec, bn: 'frozen', upsampleLogits: true }, n, h, w, 'seg_predict');
  const logits = fullLogits(model, g);
  const compiled = compileEval(g, { outputs: [logits], params: model.params.all.map((p) => p.name) });
  return withStatePrefix(compiled, statePrefix);
}

/**
 * A network other than the DeepLab for SegPredictor: the classes it predicts and its predict
 * program (output 'logits' [N,C,H,W], every parameter a state slot).
 */
export interface PredictNet {
  readonly numClasses: number;
  compile(n: number, h: number, w: number, statePrefix: string): CompiledGraph;
}

/** The predict program of an imported ONNX graph (lib/model/imported-net.ts), frozen BN. */
export function importedPredictNet(onnx: Uint8Array, meta: ImportedModelMeta): PredictNet {
  return {
    numClasses: meta.classes.length,
    compile: (n, h, w, statePrefix) => {
      const { g, model } = buildImportedNet(onnx, meta.imported, n, h, w, 'seg_predict');
      const logits = fullLogits(model, g);
      return withStatePrefix(compileEval(g, { outputs: [logits], params: model.params.all.map((p) => p.name) }), statePrefix);
    },
  };
}

/** argmax over classes of logits [N,C,H,W] → uint8 labels [N,H,W] (first maximum wins, as torch.argmax). */
export function argmaxLabels(logits: TensorData, count?: number): Uint8Array {
  const [N, C, H, W] = logits.shape as [number, number, number, number];
  const n = count ?? N;
  const plane = H * W;
  const z = logits.data as Float32Array;
  const out = new Uint8Array(n * plane);
  const best = new Float32Array(plane);
  for (let b = 0; b < n; b++) {
    const base = b * C * plane;
    best.set(z.subarray(base, base + plane));
    const o = out.subarray(b * plane, (b + 1) * plane);
    for (let c = 1; c < C; c++) {
      const zc = z.subarray(base + c * plane, base + (c + 1) * plane);
      for (let i = 0; i < plane; i++) if (zc[i]! > best[i]!) { best[i] = zc[i]!; o[i] = c; }
    }
  }
  return out;
}

/** Label predictions from the runner's current weights (see the file comment). */
export class SegPredictor {
  private readonly keys = new Set<string>();
  constructor(
    private readonly runner: TrainStepRunner,
    private readonly spec: DeepLabSpec | PredictNet,
    private readonly opts: { batch?: number; statePrefix?: string; keyPrefix?: string } = {},
  ) {}

  private async key(h: number, w: number): Promise<string> {
    const n = this.opts.batch ?? 4;
    const key = `${this.opts.keyPrefix ?? 'predict'}@${n}x${h}x${w}`;
    if (!this.keys.has(key)) {
      const prefix = this.opts.statePrefix ?? '';
      await this.runner.addProgram(key, 'compile' in this.spec ? this.spec.compile(n, h, w, prefix) : compilePredict(this.spec, n, h, w, prefix));
      this.keys.add(key);
    }
    return key;
  }

  /** Logits [N,C,H,W] for a normalised batch [N,3,H,W]. */
  async logits(images: TensorData): Promise<TensorData> {
    const [N, C, H, W] = images.shape as [number, number, number, number];
    const B = this.opts.batch ?? 4;
    const key = await this.key(H, W);
    const plane = C * H * W;
    const K = this.spec.numClasses;
    const out = new Float32Array(N * K * H * W);
    for (let s = 0; s < N; s += B) {
      const m = Math.min(B, N - s);
      const chunk = new Float32Array(B * plane);
      chunk.set((images.data as Float32Array).subarray(s * plane, (s + m) * plane));
      const r = await this.runner.run(key, { image: { dtype: 'float32', shape: [B, C, H, W], data: chunk } });
      out.set((r['logits']!.data as Float32Array).subarray(0, m * K * H * W), s * K * H * W);
    }
    return { dtype: 'float32', shape: [N, K, H, W], data: out };
  }

  async predict(images: TensorData): Promise<Uint8Array> {
    return argmaxLabels(await this.logits(images));
  }
}

/**
 * Writes the inference ONNX model of `spec` with the given weights (every initializer, PyTorch
 * names) at input [1,3,H,W] (H, W = meta.inputSize) and the sidecar `<file>.json`.
 */
export async function exportSegOnnx(file: string, tensors: ReadonlyMap<string, TensorData>, meta: AnyModelMeta, onnx?: Uint8Array): Promise<void> {
  const [w, h] = meta.inputSize;
  let built: { g: GraphBuilder; model: SegModel };
  if (isImportedMeta(meta)) {
    // an imported graph: the same graph the programs adapt (frozen BN, input 'image'), its weights replaced
    if (onnx === undefined) throw new Error('exportSegOnnx: an imported model needs its ONNX graph');
    built = buildImportedNet(onnx, meta.imported, 1, h, w, 'imported');
  } else {
    built = createDeepLab({ ...meta.spec, upsampleLogits: true }, 1, h, w, 'deeplab', { foldFrozenBn: false });
  }
  const { g, model } = built;
  const logits = fullLogits(model, g);
  for (const p of model.params.all) if (!tensors.has(p.name)) throw new Error(`exportSegOnnx: no value for '${p.name}'`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await saveInferenceModel(file, g.graph, tensors, { outputs: [logits], name: isImportedMeta(meta) ? 'imported' : 'deeplab', producer: 'stvm-sfda' });
  await writeFileAtomic(sidecarPath(file), `${JSON.stringify(meta, null, 2)}\n`);
}
