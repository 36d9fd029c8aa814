/**
 * TENT (Wang et al., ICLR 2021, "Tent: fully test-time adaptation by entropy minimization")
 * as an Algorithm (lib/train/algorithm.ts) driven by runLoop.
 *
 * Iteration t, target batch x [N,3,H,W] (unlabelled, the batch of (seed, t)):
 *   z  = f_θ(x) [N,C,H,W]   logits upsampled to the crop, every BN in TRAIN mode: it
 *                           normalises with the batch's own mean/variance
 *   H  = (1/(N·H·W)) Σ_{n,i,j} −Σ_c p_c log p_c,  p = softmax_c(z), log p = log-softmax_c(z)
 *        (L_ent of lib/engine/losses/information-maximisation.ts: built in-graph from
 *        LogSoftmax and its Exp; the backward pass is the engine's)
 *   θ_BN ← optimiser step on ∂H/∂θ_BN for the BN affine parameters γ, β ONLY (every
 *        convolution and the classifier stay frozen constants of the graph).
 * Optimiser (as TENT): Adam (AdamW with weight decay 0, β = (0.9, 0.999)) by default — TENT's
 * choice for its segmentation/CIFAR experiments; SGD with momentum 0.9 (its ImageNet choice)
 * as an option. Constant learning rate (TENT uses no schedule).
 *
 * BN statistics of the EVALUATED model (documented choice): TENT itself predicts with the
 * test batch's statistics (it drops the running statistics). Here the train step also updates
 * each BN's running statistics with the source model's BN momentum m (PyTorch convention
 * running ← (1−m)·running + m·batch), starting from the source's, so after T iterations they
 * track the target's statistics (an online AdaBN); `predict`/`exportModel` use eval-mode BN
 * with those running statistics and the adapted γ/β. Predictions then do not depend on how
 * the evaluation images are batched, and the exported model is an ordinary inference model.
 *
 * State (exact resume): every runner state tensor under 'tent/' — the network (adapted γ/β,
 * running statistics, frozen weights) and the optimiser state; JSON {}. The batch of
 * iteration t is a pure function of (seed, t) (TargetBatches), and nothing else is random.
 *
 * Networks: the project's DeepLab, or an imported ONNX graph (lib/model/imported-net.ts with
 * every BatchNormalization node in training mode); a network without BatchNorm is refused,
 * saying so (TENT has nothing to adapt there).
 */
import { prefixedState, restorePrefixedState } from '../../engine/runtime/runner-state.js';
import { pixelEntropy } from '../../engine/losses/information-maximisation.js';
import { compileTrainStep, type CompiledGraph } from '../../engine/compile/index.js';
import type { TensorData } from '../../engine/ir/tensor.js';
import { createDeepLab, type DeepLabSpec, type SegModel } from '../../engine/models/index.js';
import type { GraphBuilder } from '../../engine/ir/builder.js';
import type { OptimizerConfig } from '../../engine/optim/index.js';
import { TrainStepRunner, type NonFinitePolicy } from '../../engine/runtime/index.js';
import type { Algorithm, AlgorithmState, StepMetrics } from '../algorithm.js';
import { NONFINITE_SKIPPED } from '../algorithm.js';
import type { AnyModelFile } from '../../model/model-file.js';
import { buildImportedNet, type ImportedNetMeta } from '../../model/imported-net.js';
import { exportSegOnnx, importedPredictNet, SegPredictor } from '../../model/seg-net.js';
import type { TargetBatch } from '../stvm/target-batches.js';

const PREFIX = 'tent/';

export interface TentOptions<M extends AnyModelFile = AnyModelFile> {
  /**
   * The source model (a DeepLab spec or an imported ONNX graph with BatchNormalization nodes,
   * normalisation, every tensor incl. BN running statistics).
   */
  readonly model: M;
  /** Target batches (images only) by iteration; their shape fixes the compiled step. */
  readonly batches: { at(t: number): Promise<TargetBatch> };
  readonly batch: number;
  /** Crop [width, height] of the target batches. */
  readonly crop: readonly [number, number];
  /** Learning rate (constant). Default 1e-4. */
  readonly lr?: number;
  /** 'adam' (default; AdamW with weight decay 0) or 'sgd' (momentum `momentum`, default 0.9). */
  readonly optimizer?: 'adam' | 'sgd';
  readonly momentum?: number;
  /**
   * BN momentum of the running-statistics update, PyTorch convention (default: the source
   * spec's; an imported graph: 0.1, PyTorch's default — the file's own is usually 0, the value
   * docs/bring-your-own-model.md §1 exports with).
   */
  readonly bnMomentum?: number;
  readonly threads?: number;
  readonly nonFinite?: NonFinitePolicy;
  /** Images per evaluation batch of `predict` (default 4). */
  readonly evalBatch?: number;
  readonly inThread?: boolean;
}

/** The BN affine parameters (γ = '<bn>.weight', β = '<bn>.bias') of a network. */
export function bnAffineParams(spec: DeepLabSpec): string[] {
  const { model } = createDeepLab({ ...spec, bn: 'train' }, 1, 33, 33, 'probe');
  return model.params.all.filter((p) => p.role === 'bn_weight' || p.role === 'bn_bias').map((p) => p.name);
}

/** The network TENT trains: a DeepLab spec, or an imported ONNX graph (lib/model/imported-net.ts). */
export type TentNet = DeepLabSpec | { readonly onnx: Uint8Array; readonly imported: ImportedNetMeta };

/** The network of a model file. */
export const tentNetOf = (m: AnyModelFile): TentNet => (m.onnx !== undefined ? { onnx: m.onnx, imported: m.meta.imported } : m.meta.spec);

/** PyTorch's default BN momentum: TENT's running-statistics update of an imported graph. */
const IMPORTED_BN_MOMENTUM = 0.1;

/**
 * The TENT training step (see the file comment): inputs 'image' [N,3,H,W]; trainable: BN γ/β;
 * buffers: BN running statistics; extra output 'logits' [N,C,H,W] (the forward it minimised).
 * An imported graph is built with every BatchNormalization node in training mode.
 */
export function tentStepProgram(net: TentNet, n: number, h: number, w: number, optimizer: OptimizerConfig, bnMomentum: number, tensors?: ReadonlyMap<string, TensorData>): { compiled: CompiledGraph; affine: string[] } {
  const { g, model }: { g: GraphBuilder; model: SegModel } = 'imported' in net
    ? buildImportedNet(net.onnx, net.imported, n, h, w, 'tent', { bn: 'train', bnMomentum })
    : createDeepLab({ ...net, bn: 'train', bnMomentum, upsampleLogits: true }, n, h, w, 'tent');
  if (tensors) {
    for (const p of model.params.all) {
      const t = tensors.get(p.name);
      if (t === undefined) throw new Error(`TENT: the source model lacks tensor '${p.name}'`);
      g.graph.initializers.set(p.name, t);
    }
  }
  const z = g.op1('Identity', [model.logitsFull!], {}, { outputName: 'logits' });
  const loss = g.op1('Identity', [pixelEntropy(g, z, 'tent').entropy], {}, { outputName: 'entropy' });
  const affine = model.params.all.filter((q) => q.role === 'bn_weight' || q.role === 'bn_bias').map((q) => q.name);
  if (affine.length === 0) {
    throw new Error('TENT: the network has no BatchNorm layer, so no BN affine parameters to adapt (an imported graph without BatchNormalization nodes: a transformer with LayerNorm only, or BN folded into the convolutions by an eval-mode export); adapt it with STvM (stvm.bn.mode \'frozen-source\')');
  }
  const compiled = compileTrainStep(g, {
    loss,
    groups: [{ params: affine }],
    optimizer,
    extras: [z],
    buffers: model.bnUpdates.flatMap((u) => [{ name: u.mean, from: u.newMean }, { name: u.var, from: u.newVar }]),
    statePrefix: 'tent-optim',
    name: 'tent_step',
  });
  return { compiled, affine };
}

export class TentAlgorithm<M extends AnyModelFile = AnyModelFile> implements Algorithm {
  readonly name = 'tent';
  private readonly predictor: SegPredictor;

  private constructor(private readonly o: TentOptions<M>, private readonly runner: TrainStepRunner, readonly affine: readonly string[], private readonly lr: number) {
    const m = o.model as AnyModelFile;
    this.predictor = new SegPredictor(runner, m.onnx !== undefined ? importedPredictNet(m.onnx, m.meta) : m.meta.spec, { batch: o.evalBatch ?? 4 });
  }

  static async create<M extends AnyModelFile>(o: TentOptions<M>): Promise<TentAlgorithm<M>> {
    const lr = o.lr ?? 1e-4;
    if (!(lr >= 0 && Number.isFinite(lr))) throw new Error(`TENT: lr must be a finite number ≥ 0 (got ${lr})`);
    if (!Number.isInteger(o.batch) || o.batch < 2) throw new Error(`TENT: batch must be an integer ≥ 2 (train-mode BN needs batch statistics; got ${o.batch})`);
    const kind = o.optimizer ?? 'adam';
    const optimizer: OptimizerConfig = kind === 'adam' ? { kind: 'adamw', weightDecay: 0 } : { kind: 'sgd', momentum: o.momentum ?? 0.9 };
    const net = tentNetOf(o.model);
    const bnMomentum = o.bnMomentum ?? ('imported' in net ? IMPORTED_BN_MOMENTUM : net.bnMomentum);
    const [cw, ch] = o.crop;
    const runner = await TrainStepRunner.start({ threads: o.threads ?? 0, nonFinite: o.nonFinite ?? 'stop', inThread: o.inThread ?? false });
    try {
      // the whole network in the state store: the predict program reads every tensor from it
      await runner.setState(o.model.tensors);
      const { compiled, affine } = tentStepProgram(net, o.batch, ch, cw, optimizer, bnMomentum, o.model.tensors);
      await runner.addProgram('tent', compiled, { initState: true });
      return new TentAlgorithm<M>(o, runner, affine, lr);
    } catch (e) {
      await runner.close();
      throw e;
    }
  }

  async step(t: number): Promise<StepMetrics> {
    const t0 = performance.now();
    const b = await this.o.batches.at(t);
    const t1 = performance.now();
    const r = await this.runner.trainStep('tent', { image: b.images }, { lr: this.lr, step: t });
    return { loss: r.loss, entropy: r.loss, lr: this.lr, ms_data: +(t1 - t0).toFixed(1), ms_step: +(performance.now() - t1).toFixed(1), ...(r.skipped ? { [NONFINITE_SKIPPED]: 1 } : {}) };
  }

  /** One step that also returns the logits it minimised the entropy of (tests, diagnostics). */
  async stepWithLogits(t: number): Promise<{ loss: number; logits: TensorData }> {
    const b = await this.o.batches.at(t);
    const r = await this.runner.trainStep('tent', { image: b.images }, { lr: this.lr, step: t });
    return { loss: r.loss, logits: r.outputs['logits']! };
  }

  async saveState(): Promise<AlgorithmState> {
    return { tensors: await prefixedState(this.runner, PREFIX), json: {} };
  }

  async loadState(s: AlgorithmState): Promise<void> {
    await restorePrefixedState(this.runner, PREFIX, s.tensors, 'TENT');
  }

  /** Eval-mode BN with the adapted γ/β and the running statistics (see the file comment). */
  predict(images: TensorData): Promise<Uint8Array> {
    return this.predictor.predict(images);
  }

  /** Every tensor of the adapted network (PyTorch names). */
  async modelTensors(): Promise<Map<string, TensorData>> {
    return this.runner.getState([...this.o.model.tensors.keys()]);
  }

  /** The adapted model as a model file (spec or ONNX graph unchanged, tensors adapted). */
  async adaptedModel(): Promise<M> {
    return { ...this.o.model, meta: { ...this.o.model.meta, source: { adaptedBy: 'tent', lr: this.lr, from: this.o.model.meta.source ?? null } }, tensors: await this.modelTensors() };
  }

  async exportModel(file: string): Promise<void> {
    const m: AnyModelFile = await this.adaptedModel();
    await exportSegOnnx(file, m.tensors, m.meta, m.onnx);
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}
