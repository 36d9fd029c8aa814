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
 */
import type { UnlabelledDataset } from '../../data/datasets/types.js';
import { compileEval, type CompiledGraph } from '../../engine/compile/index.js';
import type { TensorData } from '../../engine/ir/tensor.js';
import { createDeepLab, type DeepLabSpec } from '../../engine/models/index.js';
import type { JsonValue } from '../../engine/runtime/checkpoint.js';
import { TrainStepRunner } from '../../engine/runtime/train-step-runner.js';
import type { Algorithm, AlgorithmState, StepMetrics } from '../algorithm.js';
import { toBatch } from '../../model/to-batch.js';
import type { SegModelFile } from '../../model/model-file.js';
import { exportSegOnnx, SegPredictor } from '../../model/seg-net.js';

export interface AdaBNOptions {
  /** Images per batch (default 4). */
  readonly batch?: number;
  /** onnxruntime threads (default 0: onnxruntime decides). */
  readonly threads?: number;
}

interface StatPair { mean: string; var: string; newMean: string; newVar: string }

/** The train-mode forward graph whose outputs are the batch statistics of every BN layer. */
function statsGraph(spec: DeepLabSpec, n: number, h: number, w: number): { compiled: CompiledGraph; stats: StatPair[] } {
  const { g, model } = createDeepLab({ ...spec, bn: 'train', bnMomentum: 1, upsampleLogits: false }, n, h, w, 'adabn_stats');
  const stats = model.bnUpdates.map((u) => ({ mean: u.mean, var: u.var, newMean: u.newMean, newVar: u.newVar }));
  if (stats.length === 0) throw new Error('AdaBN: the model has no BatchNorm layer');
  const compiled = compileEval(g, { outputs: stats.flatMap((s) => [s.newMean, s.newVar]), params: model.params.all.map((p) => p.name) });
  return { compiled, stats };
}

export class AdaBNAlgorithm implements Algorithm {
  readonly name = 'adabn';
  private readonly sums = new Map<string, Float64Array>();
  private count = 0;
  private readonly programs = new Map<string, StatPair[]>();
  private readonly predictor: SegPredictor;

  private constructor(private readonly model: SegModelFile, private readonly target: UnlabelledDataset, private readonly runner: TrainStepRunner, private readonly batch: number) {
    this.predictor = new SegPredictor(runner, model.meta.spec, { batch });
  }

  static async create(model: SegModelFile, target: UnlabelledDataset, opts: AdaBNOptions = {}): Promise<AdaBNAlgorithm> {
    const batch = opts.batch ?? 4;
    if (!Number.isInteger(batch) || batch < 2) throw new Error(`AdaBN: batch must be an integer ≥ 2 (batch statistics need several values; got ${batch})`);
    if (target.size === 0) throw new Error(`AdaBN: target set ${target.id} is empty`);
    const runner = await TrainStepRunner.start({ threads: opts.threads ?? 0 });
    await runner.setState(model.tensors);
    return new AdaBNAlgorithm(model, target, runner, batch);
  }

  /** Number of iterations of one pass over the target set. */
  get iterations(): number {
    return Math.ceil(this.target.size / this.batch);
  }

  private async program(n: number, h: number, w: number): Promise<{ key: string; stats: StatPair[] }> {
    const key = `adabn@${n}x${h}x${w}`;
    let stats = this.programs.get(key);
    if (!stats) {
      const built = statsGraph(this.model.meta.spec, n, h, w);
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
  adaptedModel(): SegModelFile {
    const tensors = new Map(this.model.tensors);
    for (const [k, v] of this.currentStats()) tensors.set(k, v);
    return { meta: { ...this.model.meta, source: { adaptedBy: 'adabn', target: this.target.id, batches: this.count, batch: this.batch, from: this.model.meta.source ?? null } as JsonValue }, tensors };
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
    await exportSegOnnx(file, m.tensors, m.meta);
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}

/** One AdaBN pass over `target` (no loop machinery): the adapted model. */
export async function adaBN(model: SegModelFile, target: UnlabelledDataset, opts: AdaBNOptions = {}): Promise<SegModelFile> {
  const alg = await AdaBNAlgorithm.create(model, target, opts);
  try {
    for (let t = 0; t < alg.iterations; t++) await alg.step(t);
    return alg.adaptedModel();
  } finally {
    await alg.close();
  }
}
