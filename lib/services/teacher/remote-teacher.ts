/**
 * The teacher service as a TeacherPort (lib/method/stvm/ports.ts): what the student service's
 * loop holds instead of a local TeacherCore. Images go to the teacher in the Label request;
 * pseudo-labels, confidences and reliabilities come back (float32, or quantised to 8/16 bits
 * when asked); the student's weights go through the weight store (NATS JetStream): update(v)
 * publishes θ_s as version v and, in sync mode, has the teacher apply it before returning.
 *
 * Faults: calls are retried with backoff while the teacher is UNAVAILABLE (a restart, a
 * network blip) — Label is idempotent by (run, step), so a retry cannot take a second metric
 * step. A teacher that comes back WITHOUT the run (a new process: NOT_FOUND) has lost θ_t and
 * the metric network; that is a TeacherLostError, and the run rolls back to its last checkpoint
 * (lib/train/adapt-run.ts), which replays the lost steps exactly.
 */
import { status } from '@grpc/grpc-js';
import type { TensorData } from '../../engine/ir/tensor.js';
import type { LabelRequest, TeacherLabels, TeacherPort } from '../../method/stvm/ports.js';
import type { Logger } from '../../run/logger.js';
import type { LabelReply__Output } from '../../../proto/gen/sfda/v1/LabelReply.js';
import type { StateChunk__Output } from '../../../proto/gen/sfda/v1/StateChunk.js';
import { makeClient, unary, withRetry, type ClientConfig } from '../grpc/client.js';
import { codeOf } from '../grpc/errors.js';
import type { ClientOf } from '../grpc/proto.js';
import { decodeFloatMap, decodeTensor, encodeTensor, type QuantBits } from '../grpc/tensor-codec.js';
import type { WeightStore } from '../sync/index.js';
import { receiveState, stateChunks } from './state-transfer.js';

export class TeacherLostError extends Error {
  constructor(run: string, detail: string) {
    super(`the teacher lost run '${run}' (${detail}); the run goes back to its last checkpoint`);
    this.name = 'TeacherLostError';
  }
}

export interface RemoteTeacherOptions {
  readonly address: string;
  readonly client?: ClientConfig;
  readonly store: WeightStore;
  readonly runId: string;
  readonly seed: number;
  /** The resolved adaptation config (JSON) and its hash, for LoadRun. */
  readonly configJson: string;
  readonly configHash: string;
  readonly sourceModel: string;
  /** Names of the network's parameters (θ_t's names; weights() returns these). */
  readonly paramNames: ReadonlySet<string>;
  /** 0 = float32 maps (exact, sync); 8 or 16 = quantised reliabilities/confidences. */
  readonly quantizeBits?: QuantBits;
  /** Per-call deadline (ms); Label waits for weights within it. */
  readonly deadlineMs?: number;
  /** How long to keep retrying an unavailable teacher (ms). */
  readonly outageBudgetMs?: number;
  readonly logger?: Logger;
  /** Observes every call's latency and code (client metrics). */
  readonly onCall?: (method: string, code: number, seconds: number) => void;
}

export class RemoteTeacher implements TeacherPort {
  private v = 0;
  private published = 0;
  private prov = '';
  private readonly pending = new Map<number, Promise<TeacherLabels>>();
  /** Publishes in order; a pipelined update does not wait for its publish. */
  private publishing: Promise<unknown> = Promise.resolve();
  private publishError: Error | undefined;
  private readonly client: ClientOf<'Teacher'>;

  private constructor(private readonly o: RemoteTeacherOptions) {
    this.client = makeClient('Teacher', o.address, { ...o.client, ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}) });
  }

  /** Connects, (re)loads the run on the teacher from the source model and clears the run's snapshots. */
  static async connect(o: RemoteTeacherOptions): Promise<RemoteTeacher> {
    const t = new RemoteTeacher(o);
    try {
      await o.store.deleteRun(o.runId);
      const r = await t.call('LoadRun', () => unary(t.client, 'LoadRun', {
        run_id: o.runId, config_json: o.configJson, config_hash: o.configHash, source_model: o.sourceModel, start_version: 0, reset: true,
      }, { waitForReady: true, deadlineMs: Math.max(o.deadlineMs ?? 0, 120_000) }));
      t.v = Number(r.weights?.version ?? 0);
      t.prov = r.provider;
      o.logger?.info('teacher connected', { address: o.address, provider: r.provider, version: t.v });
      return t;
    } catch (e) {
      t.client.close();
      throw e;
    }
  }

  get version(): number {
    return this.v;
  }

  get provider(): string {
    return this.prov;
  }

  /** Retries while UNAVAILABLE / DEADLINE_EXCEEDED; NOT_FOUND (a teacher without the run) → TeacherLostError. */
  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    const budget = this.o.outageBudgetMs ?? 300_000;
    const started = Date.now();
    return withRetry(async () => {
      const t0 = performance.now();
      try {
        const r = await fn();
        this.o.onCall?.(`/sfda.v1.Teacher/${method}`, status.OK, (performance.now() - t0) / 1000);
        return r;
      } catch (e) {
        const code = codeOf(e);
        this.o.onCall?.(`/sfda.v1.Teacher/${method}`, code, (performance.now() - t0) / 1000);
        if (code === status.NOT_FOUND && method !== 'LoadRun') throw new TeacherLostError(this.o.runId, (e as Error).message);
        throw e;
      }
    }, {
      retries: 1000, baseMs: 200, maxMs: 5000,
      retryOn: [status.UNAVAILABLE, status.DEADLINE_EXCEEDED],
      onRetry: (err, attempt, delay) => {
        if (Date.now() - started > budget) throw err;
        this.o.logger?.warn('teacher unavailable, retrying', { method, attempt, delay_ms: delay, error: (err as Error).message });
      },
    });
  }

  private decode(r: LabelReply__Output): TeacherLabels {
    const labels = decodeTensor(r.labels, 'labels', { dtype: 'uint8', rank: 3 });
    const confidence = decodeFloatMap(r.confidence, 'confidence', { shape: labels.shape });
    const rel = r.reliability ? decodeFloatMap(r.reliability, 'reliability', { shape: labels.shape }) : undefined;
    const probs = r.probs ? decodeTensor(r.probs, 'probs', { dtype: 'float32', rank: 4 }) : undefined;
    const version = Number(r.weights?.version ?? 0);
    this.v = Math.max(this.v, version);
    return {
      labels: labels.data as Uint8Array, confidence: confidence.data as Float32Array,
      ...(rel ? { reliability: rel.data as Float32Array } : {}), ...(probs ? { probs: probs.data as Float32Array } : {}),
      metrics: { ...r.metrics }, version,
    };
  }

  private request(req: LabelRequest): Promise<TeacherLabels> {
    this.throwPublishError();
    return this.call('Label', () => unary(this.client, 'Label', {
      run_id: this.o.runId, step: req.t, seed: this.o.seed, images: encodeTensor(req.images, 'images'),
      min_version: req.minVersion, want_probs: req.probs, quantize_bits: this.o.quantizeBits ?? 0,
    })).then((r) => this.decode(r));
  }

  label(req: LabelRequest): Promise<TeacherLabels> {
    const p = this.pending.get(req.t);
    if (p) {
      this.pending.delete(req.t);
      return p;
    }
    return this.request(req);
  }

  prefetch(req: LabelRequest): void {
    if (this.pending.has(req.t)) return;
    const p = this.request(req);
    p.catch(() => undefined);
    this.pending.set(req.t, p);
  }

  async update(version: number, weights: () => Promise<ReadonlyMap<string, TensorData>>, wait: boolean): Promise<void> {
    this.throwPublishError();
    const w = await weights();
    const p = this.publishing.then(() => this.o.store.publish(this.o.runId, version, w, { meta: { step: version } }));
    this.publishing = p.catch((e: Error) => { this.publishError ??= e; });
    this.published = version;
    if (wait) {
      await p;
      await this.syncTo(version);
    }
  }

  /** A pipelined publish that failed surfaces at the next call. */
  private throwPublishError(): void {
    const e = this.publishError;
    if (e) {
      this.publishError = undefined;
      throw e;
    }
  }

  /** Every publish so far is in the store. */
  private async flush(): Promise<void> {
    await this.publishing;
    this.throwPublishError();
  }

  /** Has the teacher apply every published version (sync point). */
  private async syncTo(version: number): Promise<void> {
    if (version <= this.v) return;
    await this.flush();
    const r = await this.call('SyncWeights', () => unary(this.client, 'SyncWeights', { run_id: this.o.runId, min_version: version }));
    this.v = Number(r.weights?.version ?? 0);
  }

  async predict(images: TensorData): Promise<Uint8Array> {
    await this.syncTo(this.published);
    const r = await this.call('Predict', () => unary(this.client, 'Predict', { run_id: this.o.runId, images: encodeTensor(images, 'images') }));
    return decodeTensor(r.labels, 'labels', { dtype: 'uint8', rank: 3 }).data as Uint8Array;
  }

  async getState(): Promise<Map<string, TensorData>> {
    await this.syncTo(this.published);
    return this.call('ExportState', async () => {
      const stream = this.client.ExportState({ run_id: this.o.runId });
      const st = await receiveState(stream as AsyncIterable<StateChunk__Output>);
      this.v = st.version;
      return st.tensors;
    });
  }

  async weights(): Promise<Map<string, TensorData>> {
    const all = await this.getState();
    const out = new Map<string, TensorData>();
    for (const [k, v] of all) if (this.o.paramNames.has(k)) out.set(k, v);
    return out;
  }

  async setState(tensors: Map<string, TensorData>, version: number): Promise<void> {
    await this.publishing;
    this.publishError = undefined;
    // the store may hold versions of the abandoned timeline: start its history afresh
    await this.o.store.deleteRun(this.o.runId);
    this.pending.clear();
    const r = await this.call('ImportState', () => new Promise<{ weights?: { version?: number } | null }>((resolve, reject) => {
      const call = this.client.ImportState((err, reply) => (err ? reject(err) : resolve(reply!)));
      for (const chunk of stateChunks(this.o.runId, version, tensors)) call.write(chunk);
      call.end();
    }));
    this.v = Number(r.weights?.version ?? version);
    this.published = this.v;
  }

  async close(): Promise<void> {
    await this.publishing;
    this.pending.clear();
    this.client.close();
  }
}
