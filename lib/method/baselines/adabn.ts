/**
 * AdaBN (Li et al., 2016): re-estimate every BatchNorm layer's statistics on unlabelled target
 * images, parameters unchanged.
 *
 * The network runs in train mode (each BN normalises with its batch statistics, as PyTorch's
 * model.train()) over the target set, B images per batch, in a fixed order; batch k gives per
 * layer the batch mean μ_k and the unbiased batch variance σ²_k (n/(n−1)·biased, as PyTorch
 * stores). The new running statistics are their cumulative averages over the K batches,
 *     running_mean = (1/K) Σ_k μ_k,   running_var = (1/K) Σ_k σ²_k,
 * which is what PyTorch computes with BatchNorm momentum=None (cumulative moving average),
 * one forward per batch, no gradient. The graph is built with BN momentum 1 (PyTorch
 * convention), so each BN's running-statistics output is exactly the batch statistic.
 * The last incomplete batch (when B does not divide the set) counts as a batch too.
 *
 * As an Algorithm (runLoop): iteration t processes batch t; iterations = ⌈N/B⌉ (one pass).
 * State: the running sums and the batch count, so a run resumes exactly.
 *
 * Works on the project's DeepLab and on an imported ONNX graph with BatchNormalization nodes
 * (lib/model/imported-net.ts in train-BN mode); the same pass gives STvM's `stvm.bn.mode`
 * 'adabn' / 'adabn-train' starting model (lib/train/adapt-run.ts).
 */
import type { UnlabelledDataset } from '../../data/datasets/types.js';
import { compileEval, type CompiledGraph } from '../../engine/compile/index.js';
import type { TensorData } from '../../engine/ir/tensor.js';
import { createDeepLab, type SegModel } from '../../engine/models/index.js';
import type { GraphBuilder } from '../../engine/ir/builder.js';
import { buildImportedNet } from '../../model/imported-net.js';
import type { JsonValue } from '../../engine/runtime/checkpoint.js';
import { TrainStepRunner } from '../../engine/runtime/train-step-runner.js';
import type { Algorithm, AlgorithmState, StepMetrics } from '../algorithm.js';
import { toBatch } from '../../model/to-batch.js';
import type { AnyModelFile } from '../../model/model-file.js';
import { exportSegOnnx, importedPredictNet, SegPredictor } from '../../model/seg-net.js';

export interface AdaBNOptions {
  /** Images per batch (default 4). */
  readonly batch?: number;
  /** onnxruntime threads (default 0: onnxruntime decides). */
  readonly threads?: number;
}

interface StatPair { mean: string; var: string; newMean: string; newVar: string }

/** The train-mode forward graph whose outputs are the batch statistics of every BN layer. */
function statsGraph(m: AnyModelFile, n: number, h: number, w: number): { compiled: CompiledGraph; stats: StatPair[] } {
  const { g, model }: { g: GraphBuilder; model: SegModel } = m.onnx !== undefined
    ? buildImportedNet(m.onnx, m.meta.imported, n, h, w, 'adabn_stats', { bn: 'train', bnMomentum: 1 })
    : createDeepLab({ ...m.meta.spec, bn: 'train', bnMomentum: 1, upsampleLogits: false }, n, h, w, 'adabn_stats');
  const stats = model.bnUpdates.map((u) => ({ mean: u.mean, var: u.var, newMean: u.newMean, newVar: u.newVar }));
  if (stats.length === 0) {
    throw new Error('AdaBN: the model has no BatchNorm layer, so no statistics to re-estimate (an imported graph without BatchNormalization nodes: a transformer with LayerNorm only, or BN folded into the convolutions by an eval-mode export); adapt it with STvM (stvm.bn.mode \'frozen-source\')');
  }
  const compiled = compileEval(g, { outputs: stats.flatMap((s) => [s.newMean, s.newVar]), params: model.params.all.map((p) => p.name) });
  return { compiled, stats };
}

export class AdaBNAlgorithm<M extends AnyModelFile = AnyModelFile> implements Algorithm {
  readonly name = 'adabn';
  private readonly sums = new Map<string, Float64Array>();
  private count = 0;
  private readonly programs = new Map<string, StatPair[]>();
  private readonly predictor: SegPredictor;

  private constructor(private readonly model: M, private readonly target: UnlabelledDataset, private readonly runner: TrainStepRunner, private readonly batch: number) {
    this.predictor = new SegPredictor(runner, model.onnx !== undefined ? importedPredictNet(model.onnx, model.meta) : model.meta.spec, { batch });
  }

  static async create<M extends AnyModelFile>(model: M, target: UnlabelledDataset, opts: AdaBNOptions = {}): Promise<AdaBNAlgorithm<M>> {
    const batch = opts.batch ?? 4;
    if (!Number.isInteger(batch) || batch < 2) throw new Error(`AdaBN: batch must be an integer ≥ 2 (batch statistics need several values; got ${batch})`);
    if (target.size === 0) throw new Error(`AdaBN: target set ${target.id} is empty`);
    const runner = await TrainStepRunner.start({ threads: opts.threads ?? 0 });
    await runner.setState(model.tensors);
    return new AdaBNAlgorithm<M>(model, target, runner, batch);
  }

  /** Number of iterations of one pass over the target set. */
  get iterations(): number {
    return Math.ceil(this.target.size / this.batch);
  }

  private async program(n: number, h: number, w: number): Promise<{ key: string; stats: StatPair[] }> {
    const key = `adabn@${n}x${h}x${w}`;
    let stats = this.programs.get(key);
    if (!stats) {
      const built = statsGraph(this.model, n, h, w);
      await this.runner.addProgram(key, built.compiled);
      stats = built.stats;
      this.programs.set(key, stats);
    }
    return { key, stats };
  }

  async step(t: number): Promise<StepMetrics> {
    const lo = t * this.batch, hi = Math.min(this.target.size, lo + this.batch);
    if (lo >= hi) throw new Error(`AdaBN: iteration ${t} is past the target set (${this.iterations} batches)`);
    const t0 = performance.now();
    const images = [];
    for (let i = lo; i < hi; i++) images.push(await this.target.readImage(i));
    const x = toBatch(images, this.model.meta.normalize);
    const [n, , h, w] = x.shape as [number, number, number, number];
    if (n < 2) throw new Error(`AdaBN: batch ${t} has a single image (choose a batch size that leaves ≥ 2 images in the last batch)`);
    const { key, stats } = await this.program(n, h, w);
    const out = await this.runner.run(key, { image: x });
    for (const s of stats) {
      for (const [name, from] of [[s.mean, s.newMean], [s.var, s.newVar]] as const) {
        const v = out[from]!.data as Float32Array;
        let acc = this.sums.get(name);
        if (!acc) this.sums.set(name, (acc = new Float64Array(v.length)));
        for (let i = 0; i < v.length; i++) acc[i] += v[i]!;
      }
    }
    this.count++;
    // the predictor reads the running statistics from the state store: keep them current
    await this.runner.setState(this.currentStats());
    return { images: n, batches: this.count, ms: +(performance.now() - t0).toFixed(1) };
  }

  /** The running statistics averaged so far (the source's before the first batch). */
  currentStats(): Map<string, TensorData> {
    const out = new Map<string, TensorData>();
    for (const [name, acc] of this.sums) {
      const src = this.model.tensors.get(name)!;
      out.set(name, { dtype: 'float32', shape: [...src.shape], data: Float32Array.from(acc, (x) => x / this.count) });
    }
    return out;
  }

  /** The adapted model: the source's tensors with the re-estimated running statistics. */
  adaptedModel(): M {
    const tensors = new Map(this.model.tensors);
    for (const [k, v] of this.currentStats()) tensors.set(k, v);
    return { ...this.model, meta: { ...this.model.meta, source: { adaptedBy: 'adabn', target: this.target.id, batches: this.count, batch: this.batch, from: this.model.meta.source ?? null } as JsonValue }, tensors };
  }

  async saveState(): Promise<AlgorithmState> {
    const tensors = new Map<string, TensorData>();
    for (const [k, v] of this.sums) tensors.set(`adabn/sum/${k}`, { dtype: 'float64', shape: [v.length], data: new Float64Array(v) });
    return { tensors, json: { count: this.count } };
  }

  async loadState(s: AlgorithmState): Promise<void> {
    this.sums.clear();
    for (const [k, v] of s.tensors) this.sums.set(k.replace(/^adabn\/sum\//, ''), new Float64Array(v.data as Float64Array));
    this.count = (s.json as { count: number }).count;
    if (this.count > 0) await this.runner.setState(this.currentStats());
  }

  predict(images: TensorData): Promise<Uint8Array> {
    return this.predictor.predict(images);
  }

  async exportModel(file: string): Promise<void> {
    const m = this.adaptedModel();
    await exportSegOnnx(file, m.tensors, m.meta, m.onnx);
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}

/** One AdaBN pass over `target` (no loop machinery): the adapted model. */
export async function adaBN<M extends AnyModelFile>(model: M, target: UnlabelledDataset, opts: AdaBNOptions = {}): Promise<M> {
  const alg = await AdaBNAlgorithm.create(model, target, opts);
  try {
    for (let t = 0; t < alg.iterations; t++) await alg.step(t);
    return alg.adaptedModel();
  } finally {
    await alg.close();
  }
}
