/**
 * Training batches by iteration: `at(t)` is the batch of iteration t, a pure function of
 * (seed, t) — iteration t reads batch (t mod B_e) of epoch ⌊t / B_e⌋ of the DataLoader
 * (lib/data/loader: sample i of epoch e augmented with Rng(['loader', seed, e, i]), the
 * epoch's order a seeded permutation), B_e the batches per epoch.
 *
 * In order (t, t+1, …) the batches stream from the loader's worker threads with prefetch.
 * A jump (a resumed run starting mid-epoch) computes the rest of that epoch's batches in the
 * calling thread with the loader's own `computeSample` — the same values — and returns to the
 * worker stream at the next epoch boundary.
 *
 * Images are normalised float32 NCHW (the AugmentSpec's `normalize`), labels uint8 (255 =
 * ignore); `feeds(batch)` converts them to the step graph's inputs ('image' float32, 'labels'
 * int64).
 */
import { DataLoader, type Batch, type LoaderOptions } from '../data/loader/loader.js';
import { openSource, type SampleSource } from '../data/loader/source.js';
import { computeSample } from '../data/loader/task.js';
import type { TensorData } from '../engine/ir/tensor.js';

export type { Batch } from '../data/loader/loader.js';

export class TrainBatches {
  private gen: AsyncGenerator<Batch, void, undefined> | undefined;
  /** The iteration the open generator yields next. */
  private genNext = -1;
  private local: SampleSource | undefined;

  private constructor(readonly loader: DataLoader, private readonly opts: LoaderOptions) {}

  static async open(opts: LoaderOptions): Promise<TrainBatches> {
    return new TrainBatches(await DataLoader.open(opts), opts);
  }

  get batchesPerEpoch(): number {
    return this.loader.batchesPerEpoch();
  }

  /** The batch of iteration t. */
  async at(t: number): Promise<Batch> {
    const nb = this.loader.batchesPerEpoch();
    const epoch = Math.floor(t / nb);
    const b = t % nb;
    if (this.gen && this.genNext === t) return this.fromGen(t, nb);
    await this.stopGen();
    if (b === 0) {
      this.gen = this.loader.epoch(epoch);
      this.genNext = t;
      return this.fromGen(t, nb);
    }
    return this.direct(epoch, b);
  }

  private async fromGen(t: number, nb: number): Promise<Batch> {
    const r = await this.gen!.next();
    if (r.done) throw new Error(`batches: epoch ended before iteration ${t}`);
    this.genNext = (t + 1) % nb === 0 ? -1 : t + 1;
    if (this.genNext === -1) await this.stopGen();
    return r.value;
  }

  private async stopGen(): Promise<void> {
    if (this.gen) await this.gen.return(undefined);
    this.gen = undefined;
    this.genNext = -1;
  }

  /** Batch b of epoch e computed here (same values as the loader's). */
  private async direct(epoch: number, b: number): Promise<Batch> {
    this.local ??= await openSource(this.opts.source);
    const B = this.opts.batchSize;
    const order = this.loader.order(epoch);
    const t0 = performance.now();
    const samples = [];
    for (let k = b * B; k < (b + 1) * B; k++) samples.push(await computeSample(this.local, this.opts.augment ?? {}, this.opts.seed, epoch, order[k]!));
    const s0 = samples[0]!;
    const { channels: C, height: H, width: W } = s0;
    const plane = H * W;
    const images = new Float32Array(B * C * plane);
    const labelled = samples.every((s) => s.label !== null);
    const labels = labelled ? new Uint8Array(B * plane) : null;
    samples.forEach((s, n) => {
      if (s.width !== W || s.height !== H) throw new Error(`batches: sample ${s.index} is ${s.width}x${s.height}, sample ${s0.index} is ${W}x${H}; add augment.crop or augment.resize`);
      images.set(s.image, n * C * plane);
      labels?.set(s.label!, n * plane);
    });
    return { epoch, batch: b, indices: samples.map((s) => s.index), shape: [B, C, H, W], images, labels, waitMs: performance.now() - t0 };
  }

  async close(): Promise<void> {
    await this.stopGen();
    await this.loader.close();
  }
}

/** The step graph's data feeds of a batch: 'image' float32 [N,C,H,W], 'labels' int64 [N,H,W]. */
export function batchFeeds(b: Batch): Record<string, TensorData> {
  const [N, , H, W] = b.shape;
  const feeds: Record<string, TensorData> = { image: { dtype: 'float32', shape: [...b.shape], data: b.images } };
  if (b.labels) {
    const l = new BigInt64Array(b.labels.length);
    for (let i = 0; i < l.length; i++) l[i] = BigInt(b.labels[i]!);
    feeds['labels'] = { dtype: 'int64', shape: [N, H, W], data: l };
  }
  return feeds;
}
