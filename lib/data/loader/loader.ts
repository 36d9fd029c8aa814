/**
 * DataLoader: batches of augmented samples, decoded/generated and augmented in background
 * worker_threads with prefetch.
 *
 * - Determinism: epoch e visits the samples in the order perm_e = Rng(['loader-perm', seed,
 *   e]).permutation(size) (or 0..size−1 without shuffle); sample i of epoch e is augmented with
 *   Rng(['loader', seed, e, i]). Batches are assembled in order, so every batch is identical
 *   for any worker count (0 = in the calling thread) and any completion order.
 * - Prefetch: at most `prefetch` batches are requested ahead of the batch the consumer waits
 *   for (a bounded queue: results of unconsumed batches hold at most prefetch·batchSize
 *   samples); each worker has at most `perWorker` tasks outstanding.
 * - Batch: images float32 (N, C, H, W) normalised, labels uint8 (N, H, W) or null.
 * - `waitMs` of each batch: how long the consumer's `next()` waited for it (steady-state
 *   loader cost seen by training).
 */
import { Worker } from 'node:worker_threads';
import { Rng } from '../rng.js';
import { validateAugment, type AugmentSpec } from '../transforms/pipeline.js';
import { openSource, type SampleSource, type SourceSpec } from './source.js';
import { computeSample, type SampleResult } from './task.js';

export interface LoaderOptions {
  readonly source: SourceSpec;
  readonly augment?: AugmentSpec;
  readonly batchSize: number;
  /** Seed of the sample order and of every augmentation. */
  readonly seed: number;
  /** Shuffle the order each epoch (default true). */
  readonly shuffle?: boolean;
  /** Drop the last incomplete batch (default true: every batch has batchSize samples). */
  readonly dropLast?: boolean;
  /** Worker threads (default 0: compute in the calling thread, no prefetch). */
  readonly workers?: number;
  /** Batches requested ahead of the consumer (default 2). */
  readonly prefetch?: number;
  /** Tasks outstanding per worker (default 2). */
  readonly perWorker?: number;
}

export interface Batch {
  readonly epoch: number;
  /** Batch number within the epoch. */
  readonly batch: number;
  /** Dataset indices of the samples, in batch order. */
  readonly indices: readonly number[];
  /** [N, C, H, W]. */
  readonly shape: readonly [number, number, number, number];
  /** float32 N·C·H·W, normalised. */
  readonly images: Float32Array;
  /** uint8 N·H·W class ids (255 = ignore), or null when the source has no labels. */
  readonly labels: Uint8Array | null;
  /** Milliseconds the consumer waited for this batch. */
  readonly waitMs: number;
}

interface Deferred {
  readonly promise: Promise<SampleResult>;
  resolve(r: SampleResult): void;
  reject(e: Error): void;
}

function deferred(): Deferred {
  let resolve!: (r: SampleResult) => void, reject!: (e: Error) => void;
  const promise = new Promise<SampleResult>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

interface Pending {
  resolve(r: SampleResult): void;
  reject(e: Error): void;
}

interface WorkerSlot {
  readonly w: Worker;
  inflight: number;
  ready: Promise<void>;
}

export class DataLoader {
  readonly size: number;
  readonly batchSize: number;
  readonly workerCount: number;
  private readonly aug: AugmentSpec;
  private readonly slots: WorkerSlot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private failure: Error | undefined;
  /** Called when a worker frees a slot (the running epoch's dispatcher). */
  private onFree: (() => void) | undefined;

  private constructor(private readonly opts: LoaderOptions, private readonly local: SampleSource) {
    this.size = local.size;
    this.batchSize = opts.batchSize;
    this.workerCount = opts.workers ?? 0;
    this.aug = opts.augment ?? {};
  }

  /** Validate options, open the source (to learn its size) and start the workers. */
  static async open(opts: LoaderOptions): Promise<DataLoader> {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`loader: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (!Number.isInteger(opts.seed)) throw new Error(`loader: seed must be an integer, got ${opts.seed}`);
    const workers = opts.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new Error(`loader: workers must be an integer in 0..64, got ${workers}`);
    const prefetch = opts.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`loader: prefetch must be a positive integer, got ${prefetch}`);
    if (opts.augment) validateAugment(opts.augment, 'loader.augment');
    const src = await openSource(opts.source);
    const dl = new DataLoader(opts, src);
    if (dl.batchesPerEpoch() === 0) throw new Error(`loader: ${src.size} samples make no batch of ${opts.batchSize}`);
    for (let k = 0; k < workers; k++) dl.startWorker();
    await Promise.all(dl.slots.map((s) => s.ready));
    return dl;
  }

  private startWorker(): void {
    const w = new Worker(new URL('./worker.js', import.meta.url));
    let readyOk!: () => void, readyErr!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => { readyOk = res; readyErr = rej; });
    const slot: WorkerSlot = { w, inflight: 0, ready };
    w.on('message', (m: { type: string; id?: number; result?: SampleResult; message?: string }) => {
      if (m.type === 'ready') { readyOk(); return; }
      if (m.type === 'error' && m.id === -1) { readyErr(new Error(`loader worker: ${m.message}`)); return; }
      const p = this.pending.get(m.id!);
      this.pending.delete(m.id!);
      slot.inflight--;
      if (p) {
        if (m.type === 'result') p.resolve(m.result!);
        else p.reject(new Error(`loader worker: ${m.message}`));
      }
      this.onFree?.();
    });
    w.on('error', (e) => this.fail(new Error(`loader worker crashed: ${e.message}`)));
    w.on('exit', (code) => { if (!this.closed && code !== 0) this.fail(new Error(`loader worker exited with code ${code}`)); });
    w.postMessage({ type: 'init', source: this.opts.source, augment: this.aug });
    this.slots.push(slot);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    // Tasks not yet dispatched fail too (request() rejects once a failure is recorded).
    this.onFree?.();
  }

  batchesPerEpoch(): number {
    const full = Math.floor(this.size / this.batchSize);
    return (this.opts.dropLast ?? true) || this.size % this.batchSize === 0 ? full : full + 1;
  }

  /** The sample order of epoch e. */
  order(epoch: number): Uint32Array {
    if (this.opts.shuffle === false) return Uint32Array.from({ length: this.size }, (_, i) => i);
    return new Rng(['loader-perm', this.opts.seed, epoch]).permutation(this.size);
  }

  /** Compute one sample in a free worker (or here when there are no workers). */
  private request(epoch: number, index: number): Promise<SampleResult> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.slots.length === 0) return computeSample(this.local, this.aug, this.opts.seed, epoch, index);
    const cap = this.opts.perWorker ?? 2;
    let best: WorkerSlot | undefined;
    for (const s of this.slots) if (s.inflight < cap && (best === undefined || s.inflight < best.inflight)) best = s;
    if (best === undefined) return undefined;
    const id = this.nextId++;
    best.inflight++;
    const p = new Promise<SampleResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    best.w.postMessage({ type: 'task', id, seed: this.opts.seed, epoch, index });
    return p;
  }

  /** The batches of epoch `e`, in order. */
  async *epoch(e: number): AsyncGenerator<Batch, void, undefined> {
    if (this.closed) throw new Error('loader: closed');
    if (this.onFree) throw new Error('loader: one epoch at a time (finish or break the previous loop first)');
    const order = this.order(e);
    const nb = this.batchesPerEpoch();
    const B = this.batchSize;
    const total = Math.min(this.size, nb * B);
    // Without workers nothing runs in the background: compute only the batch asked for.
    const ahead = this.slots.length > 0 ? (this.opts.prefetch ?? 2) : 1;
    const slots: (Deferred | undefined)[] = new Array(total);
    const slot = (k: number): Deferred => (slots[k] ??= deferred());
    let dispatched = 0;
    let consumed = 0;
    const pump = (): void => {
      const limit = Math.min(total, (consumed + ahead) * B);
      while (dispatched < limit) {
        const p = this.request(e, order[dispatched]!);
        if (p === undefined) break;
        const d = slot(dispatched++);
        p.then(d.resolve, d.reject);
      }
    };
    this.onFree = pump;
    try {
      for (let b = 0; b < nb; b++) {
        const lo = b * B, hi = Math.min(total, lo + B);
        const t0 = performance.now();
        pump();
        const waits: Promise<SampleResult>[] = [];
        for (let k = lo; k < hi; k++) waits.push(slot(k).promise);
        const samples = await Promise.all(waits);
        const waitMs = performance.now() - t0;
        for (let k = lo; k < hi; k++) slots[k] = undefined;
        consumed = b + 1;
        // Workers start on the next batches while the consumer works on this one.
        if (this.slots.length > 0) pump();
        yield assemble(e, b, samples, waitMs);
      }
    } finally {
      this.onFree = undefined;
    }
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.w.terminate()));
    this.slots.length = 0;
  }
}

function assemble(epoch: number, batch: number, samples: SampleResult[], waitMs: number): Batch {
  const s0 = samples[0]!;
  const { channels: C, height: H, width: W } = s0;
  for (const s of samples) {
    if (s.width !== W || s.height !== H || s.channels !== C) {
      throw new Error(`loader: sample ${s.index} is ${s.channels}×${s.height}×${s.width}, sample ${s0.index} is ${C}×${H}×${W}; add augment.crop or augment.resize so that every sample has the same size`);
    }
  }
  const N = samples.length, plane = H * W;
  const images = new Float32Array(N * C * plane);
  const labelled = samples.every((s) => s.label !== null);
  const labels = labelled ? new Uint8Array(N * plane) : null;
  samples.forEach((s, n) => {
    images.set(s.image, n * C * plane);
    labels?.set(s.label!, n * plane);
  });
  return { epoch, batch, indices: samples.map((s) => s.index), shape: [N, C, H, W], images, labels, waitMs };
}
