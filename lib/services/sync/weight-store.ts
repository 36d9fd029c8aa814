/**
 * WeightStore: versioned, immutable weight snapshots in NATS JetStream plus a head pointer
 * per run — how the student's weights reach the teacher (which then applies the EMA).
 *
 * Layout (both buckets file-backed, created on first open, bound afterwards):
 *   - object store `<prefix>` (default `sfda-weights`): one immutable object per version,
 *     named `<run>/v<version>`, holding a snapshot payload (snapshot.ts: JSON header + raw
 *     tensor bytes + SHA-256 weights digest). The object store chunks it (512 KiB chunks by
 *     default; a 43 M-parameter DeepLab-v2 is 172 MB, far over NATS's 1 MiB message limit) and
 *     keeps its own SHA-256 of the whole object.
 *   - KV bucket `<prefix>-head`: key `<run>` → JSON {version, object, digest, bytes,
 *     published_at}. It moves only forward, by compare-and-swap on the previous revision.
 *
 * Protocol:
 *   publish: object first, then the pointer (CAS), so a reader never sees a pointer to a
 *     missing object. A version ≤ the head's version is a StaleVersionError (versions are
 *     student steps and only increase). One publisher per run is the intended use; a CAS
 *     conflict is re-read and retried. A lost acknowledgement of a pointer update that did
 *     land is recognised on retry (same version and digest) instead of being reported stale.
 *   pull: reads the pointer, fetches the object, checks size, header (run, version, digest)
 *     and the weights digest; any damage is a SnapshotCorruptError and nothing is returned,
 *     so the caller keeps serving its previous weights (swap atomically or not at all).
 *   waitFor: a KV watch on the run's key (no polling), resolved at the first pointer with
 *     version ≥ minVersion, rejected with WaitTimeoutError after timeoutMs.
 *   gc: deletes all but the newest `keep` objects of a run (never the head's).
 *
 * Outages: the connection reconnects forever (connection.ts); each operation retries
 * transient failures for `outageBudgetMs` (default 30 s) and then fails with
 * SyncUnavailableError (retry.ts); a waitFor retries at most until its own deadline, and its
 * KV watch resumes by itself after a reconnect. JetStream file storage keeps everything
 * across a server restart. An object put cut by an outage is retried whole; the object store
 * purges the partial chunks when it can, otherwise they stay as orphans (bound the bucket
 * with maxBucketBytes, or delete the bucket between experiments).
 *
 * Client choice (measured by bench/nats-objstore.ts → bench/results/nats-client.json: one
 * 50 MiB object put and got twice per client, nats-server 2.15.1 on loopback, file storage,
 * 2 cores under a load average of ≈ 2–3.5 from other work, best of 2):
 *
 *   client                                  chunk     put MiB/s   get MiB/s
 *   `nats` 2.29 (pure-JS SHA-256 only)      128 KiB   44          39
 *                                           512 KiB   47          42
 *   `@nats-io/obj` 3.4, SHA-256 'native'    128 KiB   141         123
 *                                           512 KiB   260         186
 *   `@nats-io/obj` 3.4, SHA-256 'js'        512 KiB   45          41
 *
 * The object store hashes every byte; the pure-JS SHA-256 caps both clients near 40 MiB/s.
 * nats.js v3 lets the hash run on node:crypto (`setSha256Backend('native')`), which makes it
 * 4.4–5.6× faster with 512 KiB chunks (3× with 128 KiB). So: nats.js v3 with the native
 * SHA-256 (a process-wide switch, set by WeightStore.open) and 512 KiB chunks. v3's
 * undocumented batched ("fast ingest") puts measured no faster (240 / 163) and are not used.
 *
 * Metrics: a SyncObserver (observer.ts) receives every publish/pull (bytes, seconds, digest),
 * failure, retry and connection event; `stats()` returns the cumulative counters.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { Objm, setSha256Backend, StorageType, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { TensorData } from '../../engine/ir/tensor.js';
import { connectNats, serversText, type SyncConnectionOptions } from './connection.js';
import { SnapshotCorruptError, StaleVersionError, SyncError, WaitTimeoutError, errText } from './errors.js';
import { emptyStats, notify, type SyncObserver, type SyncOp, type SyncStats } from './observer.js';
import { isCasConflict, withRetry } from './retry.js';
import { decodeSnapshot, encodeSnapshot, type TensorMap } from './snapshot.js';

export interface WeightStoreOptions extends SyncConnectionOptions {
  /** Object-store bucket name; the KV bucket is `<prefix>-head` (default 'sfda-weights'). */
  bucketPrefix?: string;
  observer?: SyncObserver;
  /** How long one operation keeps retrying through an outage, ms (default 30 000). */
  outageBudgetMs?: number;
  /** Timeout of each JetStream request (one chunk, one KV op), ms (default 5000). */
  requestTimeoutMs?: number;
  /** Object-store chunk size, bytes (default 512 KiB; clamped to the server's max_payload). */
  chunkBytes?: number;
  /** Cap of the object-store bucket, bytes (default unlimited). */
  maxBucketBytes?: number;
}

/** The KV value of a run's head: which object holds the newest weights. */
export interface HeadPointer {
  readonly run: string;
  readonly version: number;
  /** Object name `<run>/v<version>`. */
  readonly object: string;
  /** weightsDigest (hex). */
  readonly digest: string;
  /** Payload bytes. */
  readonly bytes: number;
  /** ISO-8601 time of the publish. */
  readonly published_at: string;
  /** KV revision of this pointer (for compare-and-swap). */
  readonly revision: number;
}

export interface PulledSnapshot {
  readonly run: string;
  readonly version: number;
  readonly digest: string;
  readonly bytes: number;
  readonly published_at: string;
  readonly tensors: Map<string, TensorData>;
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface PullOptions {
  /** Return undefined unless the head's version is ≥ this. */
  minVersion?: number;
  /** The version the caller already holds: return undefined unless the head is newer. */
  haveVersion?: number;
}

export interface PublishOptions {
  /** Free-form metadata stored in the snapshot header (e.g. {step, seed}). */
  meta?: Readonly<Record<string, unknown>>;
}

const RUN_ID = /^[A-Za-z0-9_=-](?:[A-Za-z0-9_.=-]{0,126}[A-Za-z0-9_=-])?$/;

function checkRun(run: string): void {
  if (typeof run !== 'string' || !RUN_ID.test(run)) {
    throw new SyncError('INVALID_ARGUMENT', `run id ${JSON.stringify(run)} is not valid: 1–128 characters of A–Z a–z 0–9 _ = - . (not starting or ending with '.')`);
  }
}

function checkVersion(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new SyncError('INVALID_ARGUMENT', `${what} must be an integer ≥ 0, got ${v}`);
}

export function objectName(run: string, version: number): string {
  return `${run}/v${version}`;
}

/** The (run, version) of an object name `<run>/v<version>`, or undefined. */
export function parseObjectName(name: string): { run: string; version: number } | undefined {
  const m = /^([^/]+)\/v(\d+)$/.exec(name);
  return m ? { run: m[1]!, version: Number(m[2]) } : undefined;
}

function pointerOf(run: string, e: KvEntry | null): HeadPointer | undefined {
  if (!e || e.operation !== 'PUT') return undefined;
  let v: Omit<HeadPointer, 'revision' | 'run'>;
  try {
    v = e.json();
  } catch (err) {
    throw new SnapshotCorruptError(run, undefined, `head pointer (KV revision ${e.revision}) is not valid JSON`, { cause: err });
  }
  if (!Number.isSafeInteger(v.version) || typeof v.object !== 'string' || typeof v.digest !== 'string' || !Number.isSafeInteger(v.bytes)) {
    throw new SnapshotCorruptError(run, v.version, `head pointer (KV revision ${e.revision}) is malformed: ${e.string().slice(0, 200)}`);
  }
  return { run, version: v.version, object: v.object, digest: v.digest, bytes: v.bytes, published_at: String(v.published_at ?? ''), revision: e.revision };
}

export class WeightStore {
  readonly #nc: NatsConnection;
  readonly #obj: ObjectStore;
  readonly #kv: KV;
  readonly #opts: WeightStoreOptions;
  readonly #servers: string;
  readonly #stats: SyncStats = emptyStats();
  #closed = false;
  #up = true;

  private constructor(nc: NatsConnection, obj: ObjectStore, kv: KV, opts: WeightStoreOptions) {
    this.#nc = nc;
    this.#obj = obj;
    this.#kv = kv;
    this.#opts = opts;
    this.#servers = serversText(opts.servers);
    void this.#watchStatus();
  }

  /** Connects and creates (or binds) the object-store and KV buckets. */
  static async open(opts: WeightStoreOptions): Promise<WeightStore> {
    setSha256Backend('native');
    const prefix = opts.bucketPrefix ?? 'sfda-weights';
    if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new SyncError('INVALID_ARGUMENT', `bucketPrefix ${JSON.stringify(prefix)}: only A–Z a–z 0–9 _ - are allowed`);
    const nc = await connectNats(opts);
    try {
      const js: JetStreamClient = jetstream(nc, { timeout: opts.requestTimeoutMs ?? 5000 });
      const ctx = { op: 'open' as const, servers: serversText(opts.servers), budgetMs: opts.outageBudgetMs ?? 30_000, ...(opts.observer ? { observer: opts.observer } : {}) };
      const obj = await withRetry(ctx, () => new Objm(js).create(prefix, {
        storage: StorageType.File, description: 'SFDA weight snapshots (<run>/v<version>)',
        ...(opts.maxBucketBytes !== undefined ? { max_bytes: opts.maxBucketBytes } : {}),
      }));
      const kv = await withRetry(ctx, () => new Kvm(js).create(`${prefix}-head`, {
        storage: StorageType.File, history: 1, description: 'SFDA weights head pointer per run',
      }));
      return new WeightStore(nc, obj, kv, opts);
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e;
    }
  }

  async #watchStatus(): Promise<void> {
    try {
      for await (const s of this.#nc.status()) {
        if (s.type === 'disconnect') { this.#stats.disconnects++; this.#up = false; }
        if (s.type === 'reconnect') { this.#stats.reconnects++; this.#up = true; }
        const server = (s as { server?: unknown }).server;
        notify(this.#opts.observer, 'onConnection', { type: s.type, ...(typeof server === 'string' ? { server } : {}) });
      }
    } catch { /* the iterator ends with the connection */ }
  }

  #retry<T>(op: SyncOp, run: string | undefined, fn: () => Promise<T>, budgetMs?: number): Promise<T> {
    return withRetry({
      op, ...(run !== undefined ? { run } : {}), servers: this.#servers, budgetMs: budgetMs ?? this.#opts.outageBudgetMs ?? 30_000,
      ...(this.#opts.observer ? { observer: this.#opts.observer } : {}),
      check: () => this.#checkOpen(), onRetry: () => { this.#stats.retries++; },
    }, fn);
  }

  #checkOpen(): void {
    if (this.#closed || this.#nc.isClosed()) throw new SyncError('STORE_CLOSED', 'the weight store is closed');
  }

  async #failing<T>(op: SyncOp, run: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      this.#checkOpen();
      return await fn();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(errText(e));
      this.#stats.failures++;
      notify(this.#opts.observer, 'onFailure', { op, ...(run !== undefined ? { run } : {}), code: e instanceof SyncError ? e.code : 'ERROR', error });
      throw e;
    }
  }

  #readHead(run: string, op: SyncOp, budgetMs?: number): Promise<HeadPointer | undefined> {
    return this.#retry(op, run, async () => pointerOf(run, await this.#kv.get(run)), budgetMs);
  }

  /** The run's current head pointer, or undefined if nothing was published. */
  head(runId: string): Promise<HeadPointer | undefined> {
    return this.#failing('head', runId, async () => {
      checkRun(runId);
      return this.#readHead(runId, 'head');
    });
  }

  /**
   * Stores the tensors as `<run>/v<version>` and moves the head to it. Rejects a version ≤ the
   * head's with StaleVersionError. Returns the new head pointer.
   */
  publish(runId: string, version: number, tensors: TensorMap, opts: PublishOptions = {}): Promise<HeadPointer> {
    return this.#failing('publish', runId, async () => {
      checkRun(runId);
      checkVersion('version', version);
      const t0 = performance.now();
      let prev = await this.#readHead(runId, 'publish');
      if (prev && version <= prev.version) throw new StaleVersionError(runId, version, prev.version);
      const { payload, header } = encodeSnapshot(runId, version, tensors, opts.meta);
      const object = objectName(runId, version);
      const chunk = this.#opts.chunkBytes ?? 512 * 1024;
      await this.#retry('publish', runId, () => this.#obj.putBlob({ name: object, options: { max_chunk_size: chunk } }, payload));
      const value = { version, object, digest: header.sha256, bytes: payload.length, published_at: new Date().toISOString() };
      const json = JSON.stringify(value);
      let revision: number;
      for (;;) {
        try {
          const p = prev;
          revision = await this.#retry('publish', runId, () => (p ? this.#kv.update(runId, json, p.revision) : this.#kv.create(runId, json)));
          break;
        } catch (e) {
          if (!isCasConflict(e)) throw e;
          const now = await this.#readHead(runId, 'publish');
          if (now && now.version === version && now.digest === value.digest) { revision = now.revision; break; }
          if (now && now.version >= version) throw new StaleVersionError(runId, version, now.version);
          prev = now;
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      this.#stats.publishes++;
      this.#stats.bytesPublished += payload.length;
      this.#stats.publishSecondsTotal += seconds;
      this.#stats.lastPublishSeconds = seconds;
      notify(this.#opts.observer, 'onPublish', { run: runId, version, bytes: payload.length, seconds, digest: value.digest });
      return { run: runId, ...value, revision };
    });
  }

  /**
   * The newest snapshot if it is newer than haveVersion (and ≥ minVersion), verified; else
   * undefined. Damage → SnapshotCorruptError, and nothing is returned.
   */
  pull(runId: string, opts: PullOptions = {}): Promise<PulledSnapshot | undefined> {
    return this.#failing('pull', runId, async () => {
      checkRun(runId);
      if (opts.minVersion !== undefined) checkVersion('minVersion', opts.minVersion);
      if (opts.haveVersion !== undefined) checkVersion('haveVersion', opts.haveVersion);
      const t0 = performance.now();
      for (let attempt = 0; ; attempt++) {
        const head = await this.#readHead(runId, 'pull');
        if (!head) return undefined;
        if (opts.haveVersion !== undefined && head.version <= opts.haveVersion) return undefined;
        if (opts.minVersion !== undefined && head.version < opts.minVersion) return undefined;
        let payload: Uint8Array | null;
        try {
          payload = await this.#retry('pull', runId, () => this.#obj.getBlob(head.object));
        } catch (e) {
          if (e instanceof Error && /corrupt|digests do not match/i.test(e.message)) {
            throw new SnapshotCorruptError(runId, head.version, `object '${head.object}': ${e.message}`, { cause: e });
          }
          throw e;
        }
        if (!payload) {
          // Deleted under us (gc after a newer publish)? Re-read the head once or twice.
          const now = await this.#readHead(runId, 'pull');
          if (attempt < 2 && now && now.version !== head.version) continue;
          throw new SnapshotCorruptError(runId, head.version, `object '${head.object}' named by the head pointer is missing`);
        }
        if (payload.length !== head.bytes) {
          throw new SnapshotCorruptError(runId, head.version, `${payload.length < head.bytes ? 'truncated: ' : ''}object '${head.object}' has ${payload.length} bytes, the head pointer says ${head.bytes}`);
        }
        const { header, tensors } = decodeSnapshot(payload, { run: runId, version: head.version, digest: head.digest });
        const seconds = (performance.now() - t0) / 1000;
        this.#stats.pulls++;
        this.#stats.bytesPulled += payload.length;
        this.#stats.pullSecondsTotal += seconds;
        this.#stats.lastPullSeconds = seconds;
        notify(this.#opts.observer, 'onPull', { run: runId, version: head.version, bytes: payload.length, seconds, digest: head.digest });
        return {
          run: runId, version: head.version, digest: head.digest, bytes: payload.length, published_at: head.published_at, tensors,
          ...(header.meta ? { meta: header.meta } : {}),
        };
      }
    });
  }

  /** Resolves with the head once its version is ≥ minVersion; WaitTimeoutError after timeoutMs. */
  waitFor(runId: string, minVersion: number, timeoutMs: number): Promise<HeadPointer> {
    return this.#failing('waitFor', runId, async () => {
      checkRun(runId);
      checkVersion('minVersion', minVersion);
      const deadline = performance.now() + timeoutMs;
      // Through an outage, wait at most as long as the caller allows (and the outage budget).
      const budget = () => Math.max(0, Math.min(this.#opts.outageBudgetMs ?? 30_000, deadline - performance.now()));
      let last = await this.#readHead(runId, 'waitFor', budget());
      if (last && last.version >= minVersion) return last;
      const watch = await this.#retry('waitFor', runId, () => this.#kv.watch({ key: runId }), budget());
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; watch.stop(); }, Math.max(0, deadline - performance.now()));
      try {
        for await (const e of watch) {
          const p = pointerOf(runId, e);
          if (p) last = p;
          if (p && p.version >= minVersion) return p;
        }
      } finally {
        clearTimeout(timer);
        watch.stop();
      }
      if (timedOut) throw new WaitTimeoutError(runId, minVersion, timeoutMs, last?.version);
      this.#checkOpen();
      throw new SyncError('SYNC_UNAVAILABLE', `waitFor (run '${runId}'): the KV watch ended before v${minVersion} arrived`);
    });
  }

  async #runObjects(runId: string, op: SyncOp): Promise<{ name: string; version: number }[]> {
    const infos = await this.#retry(op, runId, () => this.#obj.list());
    return infos
      .filter((i) => !i.deleted)
      .map((i) => ({ name: i.name, parsed: parseObjectName(i.name) }))
      .filter((x) => x.parsed?.run === runId)
      .map((x) => ({ name: x.name, version: x.parsed!.version }))
      .sort((a, b) => b.version - a.version);
  }

  /** Deletes all but the newest `keep` (≥ 1) snapshots of the run; returns the deleted versions. */
  gc(runId: string, keep: number): Promise<number[]> {
    return this.#failing('gc', runId, async () => {
      checkRun(runId);
      if (!Number.isSafeInteger(keep) || keep < 1) throw new SyncError('INVALID_ARGUMENT', `gc: keep must be an integer ≥ 1, got ${keep}`);
      const head = await this.#readHead(runId, 'gc');
      const objs = await this.#runObjects(runId, 'gc');
      const doomed = objs.slice(keep).filter((o) => o.version !== head?.version);
      for (const o of doomed) await this.#retry('gc', runId, () => this.#obj.delete(o.name));
      return doomed.map((o) => o.version).sort((a, b) => a - b);
    });
  }

  /** Deletes every snapshot of the run and its head pointer; returns the number of objects deleted. */
  deleteRun(runId: string): Promise<number> {
    return this.#failing('deleteRun', runId, async () => {
      checkRun(runId);
      const objs = await this.#runObjects(runId, 'deleteRun');
      for (const o of objs) await this.#retry('deleteRun', runId, () => this.#obj.delete(o.name));
      await this.#retry('deleteRun', runId, () => this.#kv.purge(runId));
      return objs.length;
    });
  }

  /** Cumulative counters since open (a copy). */
  stats(): SyncStats {
    return { ...this.#stats };
  }

  /** Whether the connection is currently up (it reconnects by itself when it is not). */
  get connected(): boolean {
    return !this.#closed && !this.#nc.isClosed() && this.#up;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#nc.close();
  }
}
