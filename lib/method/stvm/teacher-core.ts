/**
 * The teacher's part of one STvM iteration, in one place, as the local TeacherPort (ports.ts):
 *
 *   ŷ, q, f   = teacher(x)                                           (TeacherSide.forward)
 *   L_metric  = ProxyAnchor(normalize(m(f)), ŷ_feat) → AdamW step on m and the proxies
 *               on at most M locations drawn with Rng(['stvm', seed, t]).fork('metric')
 *               (with ρ < 1 only each class's most confident ρ-fraction of locations, maps.ts)
 *   r         = reliabilityMap(S, ŷ_feat, ŷ): at the feature grid ↑ bilinear, or per pixel for
 *               the full-resolution ŷ (stvm.reliability.resolution; reliability.ts)
 *
 * Shapes: x [N,3,H,W] → ŷ uint8 [N·H·W], q [N·H·W], r [N·H·W] (S [N·h·w, C] at the feature
 * stride). The teacher service wraps exactly this class, so both forms compute the same.
 * Answers are cached by t (the last few), so a retried request after a lost reply does not
 * take a second metric step; setState (a resume) forgets them.
 */
import { Rng } from '../../data/rng.js';
import type { TensorData } from '../../engine/ir/tensor.js';
import type { StvmConfig } from './config.js';
import { emaDecaySpan } from './ema.js';
import { downsampleArea, maskedMean, metricTargets } from './maps.js';
import type { LabelRequest, TeacherLabels, TeacherPort } from './ports.js';
import { posteriorBeta, reliabilityMap } from './reliability.js';
import type { TeacherSide } from './teacher-side.js';

export interface TeacherCoreOptions {
  readonly cfg: StvmConfig;
  /** The run's seed (the metric subsample of iteration t comes from (seed, t)). */
  readonly seed: number;
  readonly numClasses: number;
  /** Run the metric step and the reliability (false: the non-metric baselines). */
  readonly metric: boolean;
  /** Answers kept for idempotent retries (default 8). */
  readonly cacheSize?: number;
}

export class StaleVersionError extends Error {
  constructor(readonly have: number, readonly offered: number) {
    super(`weights version ${offered} is not newer than the teacher's version ${have}`);
    this.name = 'StaleVersionError';
  }
}

export class TeacherCore implements TeacherPort {
  private v = 0;
  private readonly cache = new Map<number, TeacherLabels>();
  private readonly inflight = new Map<number, Promise<TeacherLabels>>();

  constructor(readonly side: TeacherSide, private readonly o: TeacherCoreOptions) {}

  get version(): number {
    return this.v;
  }

  get provider(): string {
    return this.side.runner.provider;
  }

  /** Whether label(t) would be served from the cache (a retried request). */
  answered(t: number): boolean {
    return this.cache.has(t);
  }

  label(req: LabelRequest): Promise<TeacherLabels> {
    const hit = this.cache.get(req.t);
    if (hit) return Promise.resolve(hit);
    // a retry arriving while the first request still runs joins it
    const running = this.inflight.get(req.t);
    if (running) return running;
    const p = this.compute(req).finally(() => this.inflight.delete(req.t));
    this.inflight.set(req.t, p);
    return p;
  }

  private async compute(req: LabelRequest): Promise<TeacherLabels> {
    const { cfg, numClasses: C } = this.o;
    const [N, , H, W] = req.images.shape as [number, number, number, number];
    const version = this.v;
    const tout = await this.side.forward(req.images);
    const metrics: Record<string, number> = {};
    let rel: Float32Array | undefined;
    if (this.o.metric) {
      const t0 = performance.now();
      const [h, w] = this.side.featureSize;
      const rng = new Rng(['stvm', this.o.seed, req.t]);
      const rho = cfg.metric.confidentFraction;
      const confident = rho < 1 ? { q: downsampleArea(tout.confidence, N, H, W, h, w), fraction: rho } : undefined;
      const tg = metricTargets(tout.labelsFeat, C, cfg.metric.maxLocations, rng.fork('metric'), confident);
      const ms = await this.side.metricStep(tout.features, tg.onehot, tg.valid, req.t);
      const map = reliabilityMap({ sim: ms.sim, labelsFeat: tout.labelsFeat, labels: tout.labels, n: N, numClasses: C, featureSize: [h, w], crop: [H, W] },
        cfg.reliability.variant, posteriorBeta(cfg), cfg.reliability.resolution);
      const relFeat = map.relFeat;
      rel = map.rel;
      metrics['metric_loss'] = ms.loss;
      if (!ms.finite) metrics['nonfinite_skipped'] = 1;
      metrics['mean_reliability'] = maskedMean(relFeat, tout.labelsFeat);
      metrics['metric_locations'] = tg.used;
      metrics['ms_metric'] = performance.now() - t0;
    }
    const out: TeacherLabels = {
      labels: tout.labels, confidence: tout.confidence, metrics, version,
      ...(req.probs && tout.probs ? { probs: tout.probs } : {}), ...(rel ? { reliability: rel } : {}),
    };
    this.cache.set(req.t, out);
    const keep = this.o.cacheSize ?? 8;
    for (const k of this.cache.keys()) if (this.cache.size > keep) this.cache.delete(k);
    return out;
  }

  /** θ_t ← α·θ_t + (1−α)·θ_s with α = Π α_s over the student steps since the teacher's version. */
  async update(version: number, weights: () => Promise<ReadonlyMap<string, TensorData>>): Promise<void> {
    if (!(version > this.v)) throw new StaleVersionError(this.v, version);
    const alpha = emaDecaySpan(version - 1, version - this.v, this.o.cfg.ema.maxDecay);
    await this.side.ema(await weights(), alpha);
    this.v = version;
  }

  /** The decay update(version) would apply now (for logs and metrics). */
  alphaFor(version: number): number {
    return emaDecaySpan(version - 1, version - this.v, this.o.cfg.ema.maxDecay);
  }

  predict(images: TensorData): Promise<Uint8Array> {
    return this.side.predict(images);
  }

  weights(): Promise<Map<string, TensorData>> {
    return this.side.weights();
  }

  getState(): Promise<Map<string, TensorData>> {
    return this.side.runner.getState();
  }

  async setState(tensors: Map<string, TensorData>, version: number): Promise<void> {
    const held = await this.side.runner.stateInfo();
    const missing = [...held.keys()].filter((k) => !tensors.has(k));
    if (missing.length > 0) throw new Error(`teacher state: '${missing[0]}' is missing (${missing.length} tensor(s))`);
    await this.side.runner.setState(tensors);
    this.v = version;
    this.cache.clear();
  }

  close(): Promise<void> {
    return this.side.close();
  }
}
