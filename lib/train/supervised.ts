/**
 * Supervised training as an Algorithm (source training, and the target oracle when the data
 * are the target's labelled images): softmax cross-entropy (ignore 255; optionally class
 * weighted by median frequency balancing, class-weights.ts) on logits upsampled to the crop, small DeepLab with train-mode BN (running statistics are buffers updated by each
 * step), SGD with momentum (or AdamW) with a poly schedule, classifier lr × headLrMult.
 * Batches come from the loader (batches.ts), a pure function of (seed, t).
 *
 * State (checkpoints): every runner state tensor under 'net/' (parameters, BN running
 * statistics, optimiser state incl. its step count); JSON: {}.
 */
import { prefixedState, restorePrefixedState } from '../engine/runtime/runner-state.js';
import type { LabelledDataset } from '../data/datasets/types.js';
import { normalizeOptions } from '../data/transforms/pipeline.js';
import type { AugmentSpec } from '../data/transforms/pipeline.js';
import type { TensorData } from '../engine/ir/tensor.js';
import type { DeepLabSpec } from '../engine/models/spec.js';
import { makeSchedule, type OptimizerConfig, type Schedule } from '../engine/optim/index.js';
import { TrainStepRunner } from '../engine/runtime/train-step-runner.js';
import { NONFINITE_SKIPPED, type Algorithm, type AlgorithmState, type StepMetrics } from '../method/algorithm.js';
import { batchFeeds, TrainBatches } from './batches.js';
import { datasetClassWeights, pixelWeights } from '../data/class-weights.js';
import { loaderSourceOf } from './data-config.js';
import type { ModelMeta, Normalization } from '../model/model-file.js';
import { MODEL_FORMAT, saveSegModel } from '../model/model-file.js';
import { applyEncoderInit, loadEncoderInit, type EncoderInit } from '../model/encoder-init.js';
import { ConfigError } from '../config/schema.js';
import { compileSupervisedStep, exportSegOnnx, SegPredictor } from '../model/seg-net.js';
import { modelSpecOf, type SourceConfig } from './source-config.js';

const PREFIX = 'net/';

export function augmentOf(c: SourceConfig): AugmentSpec {
  const a = c.augment;
  return {
    ...(a.scaleMin !== 1 || a.scaleMax !== 1 ? { scale: [a.scaleMin, a.scaleMax] as const } : {}),
    crop: [a.cropWidth, a.cropHeight],
    ...(a.flip > 0 ? { flip: a.flip } : {}),
    ...(a.jitter > 0 ? { photometric: { jitter: { brightness: a.jitter, contrast: a.jitter, saturation: a.jitter, hue: a.jitter / 10, p: a.jitterP } } } : {}),
    normalize: a.normalize,
  };
}

export function normalizationOf(c: SourceConfig): Normalization {
  const n = normalizeOptions({ normalize: c.augment.normalize });
  return { mean: [...(n.mean ?? [0, 0, 0])], std: [...(n.std ?? [1, 1, 1])] };
}

/** The encoder-initialisation file of a config, checked against its input normalisation and BN ε. */
async function encoderInitOf(c: SourceConfig, spec: DeepLabSpec): Promise<EncoderInit> {
  const init = await loadEncoderInit(c.model.init);
  const want = init.meta.normalize;
  const have = normalizationOf(c);
  const same = (a: readonly number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-9);
  if (!same(want.mean, have.mean) || !same(want.std, have.std)) {
    const named = same(want.mean, [0, 0, 0]) && same(want.std, [1, 1, 1]) ? " ('none': x = v/255)" : '';
    throw new ConfigError('augment.normalize', `model.init ${c.model.init} expects inputs normalised with mean ${JSON.stringify(want.mean)}, std ${JSON.stringify(want.std)}${named}, the config gives mean ${JSON.stringify(have.mean)}, std ${JSON.stringify(have.std)}`);
  }
  if (Math.abs(init.meta.bnEps - spec.bnEps) > 1e-12) throw new ConfigError('model.init', `${c.model.init} has BN statistics for ε = ${init.meta.bnEps}, the model's BN ε is ${spec.bnEps}`);
  return init;
}

export function optimizerOf(c: SourceConfig): OptimizerConfig {
  const o = c.optimizer;
  return o.kind === 'sgd' ? { kind: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay } : { kind: 'adamw', weightDecay: o.weightDecay };
}

export function scheduleOf(c: SourceConfig): Schedule {
  const o = c.optimizer;
  return makeSchedule({
    kind: 'poly', base: o.lr, maxSteps: Math.max(1, c.iterations - o.warmup), power: o.power,
    ...(o.warmup > 0 ? { warmup: { steps: o.warmup, startFactor: 0.1 } } : {}),
  }, 'optimizer');
}

export class SupervisedAlgorithm implements Algorithm {
  readonly name = 'supervised';
  readonly predictor: SegPredictor;

  private constructor(
    readonly config: SourceConfig,
    readonly spec: DeepLabSpec,
    readonly meta: ModelMeta,
    private readonly runner: TrainStepRunner,
    private readonly batches: TrainBatches,
    private readonly schedule: Schedule,
    private readonly paramNames: readonly string[],
    /** Class weights of the loss (undefined: unweighted CE). */
    readonly classWeights: Float32Array | undefined,
  ) {
    this.predictor = new SegPredictor(runner, spec, { batch: config.runtime.evalBatch });
  }

  /** Builds the network and step, starts the runner and the loader. `train` is the training set (for its protocol). */
  static async create(c: SourceConfig, train: LabelledDataset, opts: { source?: Record<string, unknown> } = {}): Promise<SupervisedAlgorithm> {
    const protocol = train.protocol;
    const spec = modelSpecOf(c, protocol.numClasses);
    const classWeights = c.loss.classBalance > 0 ? await datasetClassWeights(train, c.loss.balanceFrames, c.loss.classBalance) : undefined;
    const { compiled, model } = compileSupervisedStep(spec, {
      batch: c.batch, height: c.augment.cropHeight, width: c.augment.cropWidth, optimizer: optimizerOf(c), headLrMult: c.optimizer.headLrMult,
      weighted: classWeights !== undefined,
    });
    const init = c.model.init ? await encoderInitOf(c, spec) : undefined;
    if (init) applyEncoderInit(c.model.init, init, spec, model.params.all, compiled.initialState);
    const runner = await TrainStepRunner.start({ threads: c.runtime.threads, nonFinite: c.runtime.nonFinite });
    try {
      await runner.addProgram('train', compiled, { initState: true });
      const batches = await TrainBatches.open({ source: loaderSourceOf(c.data), augment: augmentOf(c), batchSize: c.batch, seed: c.seed, workers: c.runtime.workers });
      const meta: ModelMeta = {
        format: MODEL_FORMAT, version: 1, spec: { ...spec }, normalize: normalizationOf(c), protocol: protocol.id, classes: [...protocol.classes],
        inputSize: [c.data.width, c.data.height],
        source: { trainedOn: train.id, iterations: c.iterations, ...(init ? { init: { file: c.model.init, provenance: init.meta.provenance } } : {}), ...(classWeights ? { classWeights: [...classWeights].map((w) => +w.toFixed(4)) } : {}), ...(opts.source ?? {}) } as never,
      };
      return new SupervisedAlgorithm(c, spec, meta, runner, batches, scheduleOf(c), model.params.all.map((p) => p.name), classWeights);
    } catch (e) {
      await runner.close();
      throw e;
    }
  }

  async step(t: number): Promise<StepMetrics> {
    const t0 = performance.now();
    const batch = await this.batches.at(t);
    const t1 = performance.now();
    const lr = this.schedule(t);
    const feeds = batchFeeds(batch);
    if (this.classWeights) feeds['weights'] = { dtype: 'float32', shape: feeds['labels']!.shape, data: pixelWeights(batch.labels!, this.classWeights) };
    const r = await this.runner.trainStep('train', feeds, { lr, step: t });
    const t2 = performance.now();
    return { loss: r.loss, lr, data_ms: +(t1 - t0).toFixed(1), step_ms: +(t2 - t1).toFixed(1), ...(r.skipped ? { [NONFINITE_SKIPPED]: 1 } : {}) };
  }

  async saveState(): Promise<AlgorithmState> {
    return { tensors: await prefixedState(this.runner, PREFIX), json: {} };
  }

  async loadState(s: AlgorithmState): Promise<void> {
    await restorePrefixedState(this.runner, PREFIX, s.tensors, 'supervised');
  }

  predict(images: TensorData): Promise<Uint8Array> {
    return this.predictor.predict(images);
  }

  /** The network's tensors (weights and running statistics), PyTorch names. */
  async modelTensors(): Promise<Map<string, TensorData>> {
    return this.runner.getState(this.paramNames);
  }

  async exportModel(file: string): Promise<void> {
    await exportSegOnnx(file, await this.modelTensors(), this.meta);
  }

  /** Writes the model file (model-file.ts) that adaptation, evaluation and prediction load. */
  async saveModel(file: string): Promise<void> {
    await saveSegModel(file, { meta: this.meta, tensors: await this.modelTensors() });
  }

  async close(): Promise<void> {
    await this.batches.close();
    await this.runner.close();
  }
}
