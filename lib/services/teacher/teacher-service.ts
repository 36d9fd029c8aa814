/**
 * The teacher service's logic (sfda.v1.Teacher), over the same TeacherCore the single-process
 * loop uses (lib/method/stvm/teacher-core.ts): for each loaded run, the EMA teacher θ_t, the
 * metric network and its proxies on one runner. Operations per run are serialised (a queue),
 * so a weights update and a label request never interleave.
 *
 * Weights: the student publishes θ_s after v student steps to the weight store (NATS
 * JetStream, lib/services/sync) and the teacher pulls the newest version ≥ what a request
 * needs, verifies its digest and folds it in with α = Π α_s over the steps since its own
 * version (teacher-core.ts). A corrupt snapshot is refused (DATA_LOSS) and the old weights
 * stay; a version not newer than the teacher's is never applied.
 *
 * Every answer carries the weights version and the digest of θ_t it was computed with.
 */
import type { TensorData } from '../../engine/ir/tensor.js';
import { getProtocol } from '../../data/datasets/protocols.js';
import { loopSettings, netSourceOf, StvmAlgorithm, type TeacherCore } from '../../method/stvm/index.js';
import { loadModelFile, numClassesOf } from '../../model/model-file.js';
import type { Logger } from '../../run/logger.js';
import type { AdaptConfig } from '../../train/adapt-config.js';
import { resolveRunConfig } from '../run-config.js';
import type { LabelReply } from '../../../proto/gen/sfda/v1/LabelReply.js';
import type { StateChunk } from '../../../proto/gen/sfda/v1/StateChunk.js';
import type { TeacherState } from '../../../proto/gen/sfda/v1/TeacherState.js';
import type { WeightsVersion } from '../../../proto/gen/sfda/v1/WeightsVersion.js';
import { Aborted, FailedPrecondition, GrpcError, InvalidArgument, NotFound, Unavailable } from '../grpc/errors.js';
import type { HandlersOf } from '../grpc/proto.js';
import type { ServiceImpl } from '../grpc/handlers.js';
import { decodeTensor, encodeFloatMap, encodeTensor, type QuantBits } from '../grpc/tensor-codec.js';
import { requireString } from '../grpc/validate.js';
import type { ServiceMetrics } from '../metrics/index.js';
import { providerForRun, type ProcessProvider } from '../process/runtime.js';
import { SnapshotCorruptError, SyncError, WaitTimeoutError, weightsDigest, type WeightStore } from '../sync/index.js';
import { receiveState, stateChunks } from './state-transfer.js';

interface LoadedRun {
  readonly id: string;
  readonly hash: string;
  readonly cfg: AdaptConfig;
  readonly core: TeacherCore;
  readonly classNames: readonly string[];
  /** [N, 3, H, W] of the label requests. */
  readonly inputShape: readonly number[];
  digest: string;
  queue: Promise<unknown>;
  labelRequests: number;
  metricSteps: number;
  applied: number;
  rejected: number;
}

export class DataLoss extends GrpcError {
  constructor(message: string) {
    super(15 /* DATA_LOSS */, message);
  }
}

export interface TeacherServiceOptions {
  readonly store: WeightStore;
  readonly metrics: ServiceMetrics<'teacher'>;
  readonly logger: Logger;
  /** onnxruntime threads of each run's runner (0: the run config's runtime.threads). */
  readonly threads?: number;
  /** How long a request waits for a weights version to be published (ms, bounded by its deadline). */
  readonly waitMs?: number;
  /** Called when the first run is loaded (the health turns SERVING). */
  readonly onLoaded?: () => void;
  /** The process's execution provider (runtime.provider setting; default: each run config's). */
  readonly provider?: ProcessProvider;
}

function clampQuant(bits: number): QuantBits {
  if (bits === 0 || bits === 8 || bits === 16) return bits;
  throw new InvalidArgument(`quantize_bits: ${bits} is not 0, 8 or 16`);
}

export class TeacherService {
  private readonly runs = new Map<string, LoadedRun>();
  private readonly loading = new Map<string, Promise<LoadedRun>>();

  constructor(private readonly o: TeacherServiceOptions) {}

  get loaded(): number {
    return this.runs.size;
  }

  private run(id: string): LoadedRun {
    const r = this.runs.get(requireString(id, 'run_id'));
    if (!r) throw new NotFound(`run '${id}' is not loaded on this teacher (LoadRun first)`);
    return r;
  }

  /** Runs `fn` after every earlier operation of the run (one at a time per run). */
  private serial<T>(r: LoadedRun, fn: () => Promise<T>): Promise<T> {
    const p = r.queue.then(fn, fn);
    r.queue = p.catch(() => undefined);
    return p;
  }

  private version(r: LoadedRun): WeightsVersion {
    return { version: r.core.version, digest: r.digest };
  }

  async load(req: { run_id: string; config_json: string; config_hash: string; source_model: string; start_version: number; reset?: boolean }): Promise<LoadedRun> {
    const id = requireString(req.run_id, 'run_id');
    const have = this.runs.get(id);
    if (have && have.hash === req.config_hash && !req.reset) return have;
    const pending = this.loading.get(id);
    if (pending) return pending;
    const { cfg, sourceModel: source } = resolveRunConfig({ config_json: req.config_json, source_model: req.source_model, overrides: {} }, { checkSourceExists: false });
    const p = (async () => {
      let model;
      try {
        model = await loadModelFile(source);
      } catch (e) {
        throw new FailedPrecondition(`source_model: ${(e as Error).message}`);
      }
      const settings = loopSettings(cfg.stvm, { name: cfg.weighting.name, params: cfg.weightingParams });
      const threads = this.o.threads || cfg.runtime.threads;
      const provider = await providerForRun(this.o.provider ?? { requested: 'run' }, cfg.runtime, this.o.logger, id);
      const core = await StvmAlgorithm.localTeacher({
        cfg: cfg.stvm, seed: cfg.seed, batch: cfg.batch, crop: [cfg.augment.cropWidth, cfg.augment.cropHeight],
        net: netSourceOf(model), numClasses: numClassesOf(model.meta),
        runner: { provider, fallback: 'error', threads, nonFinite: cfg.runtime.nonFinite, log: (m) => this.o.logger.warn(m, { run: id }) },
      }, settings);
      const run: LoadedRun = {
        id, hash: req.config_hash, cfg, core, classNames: getProtocol(model.meta.protocol).classes,
        inputShape: [cfg.batch, 3, cfg.augment.cropHeight, cfg.augment.cropWidth],
        digest: weightsDigest(await core.weights()), queue: Promise.resolve(),
        labelRequests: 0, metricSteps: 0, applied: 0, rejected: 0,
      };
      const old = this.runs.get(id);
      this.runs.set(id, run);
      if (old) await old.core.close();
      this.o.metrics.provider.setProvider(core.provider);
      this.o.logger.info('run loaded', { run: id, provider: core.provider, source, config_hash: req.config_hash, metric: settings.metric });
      this.o.onLoaded?.();
      return run;
    })();
    this.loading.set(id, p);
    try {
      return await p;
    } finally {
      this.loading.delete(id);
    }
  }

  /**
   * Brings the run's teacher to at least `minVersion`: waits (≤ waitMs, and the call's
   * deadline) for the store's head to reach it, then pulls and applies the newest snapshot.
   */
  private async syncTo(r: LoadedRun, minVersion: number, signal?: AbortSignal): Promise<number> {
    if (r.core.version >= minVersion) return 0;
    const t0 = performance.now();
    try {
      await this.o.store.waitFor(r.id, minVersion, this.o.waitMs ?? 60_000);
      if (signal?.aborted) throw new Aborted('the request was cancelled while waiting for weights');
      const snap = await this.o.store.pull(r.id, { minVersion, haveVersion: r.core.version });
      if (!snap) throw new Unavailable(`weights version ≥ ${minVersion} of run '${r.id}' are not in the store`);
      const from = r.core.version;
      await r.core.update(snap.version, async () => snap.tensors);
      r.digest = weightsDigest(await r.core.weights());
      r.applied++;
      this.o.metrics.sync.teacherVersion.set(r.core.version);
      this.o.metrics.sync.seconds.observe((performance.now() - t0) / 1000);
      this.o.metrics.sync.bytes.inc(snap.bytes);
      this.o.logger.debug('weights applied', { run: r.id, from, to: snap.version, digest: r.digest });
      return 1;
    } catch (e) {
      r.rejected++;
      if (e instanceof SnapshotCorruptError) {
        this.o.metrics.sync.recordFailure('corrupt');
        this.o.logger.error('corrupt weight snapshot refused; the old weights stay', { run: r.id, error: e.message });
        throw new DataLoss(`weights of run '${r.id}': ${e.message} (the teacher keeps version ${r.core.version})`);
      }
      if (e instanceof WaitTimeoutError) {
        this.o.metrics.sync.recordFailure('timeout');
        throw new Unavailable(`weights version ${minVersion} of run '${r.id}' did not arrive: ${e.message}`);
      }
      if (e instanceof SyncError) {
        this.o.metrics.sync.recordFailure('unavailable');
        throw new Unavailable(`weight store: ${e.message}`);
      }
      throw e;
    }
  }

  readonly handlers: ServiceImpl<HandlersOf<'Teacher'>> = {
    LoadRun: async (req) => {
      const r = await this.load(req);
      if (req.start_version > r.core.version) {
        await this.serial(r, () => this.syncTo(r, req.start_version));
      }
      return { weights: this.version(r), provider: r.core.provider, feature_size: [...r.core.side.featureSize] };
    },

    Label: async (req, ctx) => {
      const r = this.run(req.run_id);
      const images = decodeTensor(req.images, 'images', { dtype: 'float32', shape: r.inputShape });
      if (req.seed !== r.cfg.seed) throw new InvalidArgument(`seed: ${req.seed} is not the run's seed ${r.cfg.seed}`);
      const bits = clampQuant(req.quantize_bits);
      return this.serial(r, async () => {
        const t0 = performance.now();
        await this.syncTo(r, req.min_version, ctx.signal);
        const replayed = r.core.answered(req.step);
        const out = await r.core.label({ t: req.step, images, probs: req.want_probs, minVersion: req.min_version });
        r.labelRequests++;
        if (!replayed && out.metrics['metric_loss'] !== undefined) {
          r.metricSteps++;
          this.o.metrics.teacher.metricSteps.inc();
          this.o.metrics.teacher.metricLoss.set(out.metrics['metric_loss']);
        }
        this.o.metrics.teacher.labelRequests.inc();
        this.o.metrics.teacher.labelSeconds.observe((performance.now() - t0) / 1000);
        this.o.metrics.pseudoLabels.record({ labels: out.labels, ...(out.reliability ? { reliabilities: out.reliability } : {}), classNames: r.classNames });
        const [n, , h, w] = r.inputShape as [number, number, number, number];
        const reply: LabelReply = {
          weights: { version: out.version, digest: out.version === r.core.version ? r.digest : '' },
          labels: encodeTensor({ dtype: 'uint8', shape: [n, h, w], data: out.labels }, 'labels'),
          confidence: encodeFloatMap(out.confidence, [n, h, w], bits, 'confidence'),
          ...(out.reliability ? { reliability: encodeFloatMap(out.reliability, [n, h, w], bits, 'reliability') } : {}),
          ...(out.probs ? { probs: encodeTensor({ dtype: 'float32', shape: [n, out.probs.length / (n * h * w), h, w], data: out.probs }, 'probs') } : {}),
          metrics: { ...out.metrics },
          replayed,
        };
        return reply;
      });
    },

    Predict: async (req) => {
      const r = this.run(req.run_id);
      const images = decodeTensor(req.images, 'images', { dtype: 'float32', rank: 4 });
      if (images.shape[1] !== 3) throw new InvalidArgument(`images: ${images.shape[1]} channels, expected 3`);
      return this.serial(r, async () => {
        const labels = await r.core.predict(images);
        const [n, , h, w] = images.shape as [number, number, number, number];
        return { weights: this.version(r), labels: encodeTensor({ dtype: 'uint8', shape: [n, h, w], data: labels }, 'labels') };
      });
    },

    SyncWeights: async (req, ctx) => {
      const r = this.run(req.run_id);
      return this.serial(r, async () => {
        let applied = 0;
        const head = await this.o.store.head(r.id).catch(() => undefined);
        const want = Math.max(req.min_version, head?.version ?? 0);
        if (want > r.core.version) applied = await this.syncTo(r, want, ctx.signal);
        return { weights: this.version(r), applied };
      });
    },

    ExportState: async (req, ctx) => {
      const r = this.run(req.run_id);
      const { tensors, version } = await this.serial(r, async () => ({ tensors: await r.core.getState(), version: r.core.version }));
      for (const chunk of stateChunks(r.id, version, tensors)) if (!(await ctx.send(chunk))) return;
    },

    ImportState: async (messages) => {
      const st = await receiveState(messages as AsyncIterable<StateChunk>);
      const r = this.run(st.run);
      return this.serial(r, async () => {
        try {
          await r.core.setState(st.tensors, st.version);
        } catch (e) {
          throw new InvalidArgument(`state of run '${r.id}': ${(e as Error).message}`);
        }
        r.digest = weightsDigest(await r.core.weights());
        this.o.metrics.sync.teacherVersion.set(r.core.version);
        this.o.logger.info('state imported', { run: r.id, version: r.core.version });
        return { weights: this.version(r) };
      });
    },

    GetState: (req) => {
      const r = this.runs.get(req.run_id);
      if (!r) {
        if (req.run_id) throw new NotFound(`run '${req.run_id}' is not loaded on this teacher`);
        return { run_id: '', loaded: false, provider: '' } satisfies TeacherState;
      }
      return {
        run_id: r.id, weights: this.version(r), label_requests: r.labelRequests, metric_steps: r.metricSteps,
        snapshots_applied: r.applied, snapshots_rejected: r.rejected, provider: r.core.provider, loaded: true,
      } satisfies TeacherState;
    },
  };

  /** State tensors of a run (tests). */
  state(id: string): Promise<Map<string, TensorData>> {
    return this.run(id).core.getState();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.runs.values()].map((r) => r.core.close()));
    this.runs.clear();
  }
}
