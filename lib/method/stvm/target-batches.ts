/**
 * Target batches for adaptation: images only. The source of the images is an
 * UnlabelledDataset (lib/data/datasets/types.ts): it holds image paths and no label path or
 * reader, so target labels cannot be reached from here — a LabelledDataset does not even
 * type-check as one (use its imagesOnly()).
 *
 * The batch of iteration t is a pure function of (seed, t): with B images per batch and
 * nb = ⌊size/B⌋ batches per epoch, iteration t reads batch b = t mod nb of epoch e = ⌊t/nb⌋;
 * the epoch's order is Rng(['target-perm', seed, e]).permutation(size) and sample i is
 * augmented (geometric only: resize, random scale, crop, flip) with Rng(['target', seed, e, i]).
 * The next iteration's batch is prepared while the caller works on the current one.
 */
import type { UnlabelledDataset } from '../../data/datasets/types.js';
import { Rng } from '../../data/rng.js';
import { writeCHW, type NormalizeOptions } from '../../data/transforms/normalize.js';
import { augment, validateAugment, type AugmentSpec } from '../../data/transforms/pipeline.js';
import type { ImageU8 } from '../../data/transforms/types.js';
import type { TensorData } from '../../engine/ir/tensor.js';

/** One batch of target images (no labels). */
export interface TargetBatch {
  readonly t: number;
  /** Dataset indices, in batch order. */
  readonly indices: readonly number[];
  /** The augmented 8-bit images (H×W×3), for mixing and photometric augmentation. */
  readonly raw: readonly ImageU8[];
  /** The same images normalised, float32 [N,3,H,W]. */
  readonly images: TensorData;
}

export interface TargetBatchOptions {
  readonly batch: number;
  readonly seed: number;
  /** Geometric augmentation; must produce `crop`-sized images (set augment.crop). */
  readonly augment: AugmentSpec;
  readonly normalize: NormalizeOptions;
}

export class TargetBatches {
  private ahead: { t: number; p: Promise<TargetBatch> } | undefined;
  readonly batchesPerEpoch: number;

  constructor(readonly dataset: UnlabelledDataset, private readonly opts: TargetBatchOptions) {
    if (dataset.labelled !== false) throw new Error(`target batches: dataset ${dataset.id} must be unlabelled`);
    if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new Error(`target batches: batch must be a positive integer (got ${opts.batch})`);
    validateAugment(opts.augment, 'target augment');
    if (opts.augment.photometric || opts.augment.normalize) throw new Error('target augment: photometric augmentation and normalisation are applied by the algorithm, not here');
    if (!opts.augment.crop) throw new Error('target augment: crop [width, height] is required (every batch has the crop size)');
    this.batchesPerEpoch = Math.floor(dataset.size / opts.batch);
    if (this.batchesPerEpoch < 1) throw new Error(`target batches: ${dataset.id} has ${dataset.size} images, fewer than one batch of ${opts.batch}`);
  }

  /** The batch of iteration t. */
  async at(t: number): Promise<TargetBatch> {
    const p = this.ahead?.t === t ? this.ahead.p : this.compute(t);
    this.ahead = undefined;
    const b = await p;
    const next = t + 1;
    const q = new Promise<TargetBatch>((res, rej) => setImmediate(() => this.compute(next).then(res, rej)));
    q.catch(() => undefined);
    this.ahead = { t: next, p: q };
    return b;
  }

  /** The batch of iteration t without consuming it: the next at(t) returns the same batch. */
  peek(t: number): Promise<TargetBatch> {
    if (this.ahead?.t !== t) {
      const p = this.compute(t);
      p.catch(() => undefined);
      this.ahead = { t, p };
    }
    return this.ahead.p;
  }

  private async compute(t: number): Promise<TargetBatch> {
    if (!Number.isInteger(t) || t < 0) throw new Error(`target batches: iteration must be an integer ≥ 0 (got ${t})`);
    const { batch: B, seed } = this.opts;
    const epoch = Math.floor(t / this.batchesPerEpoch);
    const b = t % this.batchesPerEpoch;
    const order = new Rng(['target-perm', seed, epoch]).permutation(this.dataset.size);
    const indices = Array.from({ length: B }, (_, k) => order[b * B + k]!);
    const raw: ImageU8[] = [];
    for (const i of indices) {
      const img = await this.dataset.readImage(i);
      raw.push(augment({ image: img }, this.opts.augment, new Rng(['target', seed, epoch, i])).image);
    }
    const [cw, ch] = this.opts.augment.crop!;
    const plane = cw * ch;
    const data = new Float32Array(B * 3 * plane);
    raw.forEach((img, n) => {
      if (img.width !== cw || img.height !== ch || img.channels !== 3) throw new Error(`target batches: image ${indices[n]} of ${this.dataset.id} is ${img.width}×${img.height}×${img.channels} after augmentation, expected ${cw}×${ch}×3`);
      writeCHW(img, data, n * 3 * plane, this.opts.normalize);
    });
    return { t, indices, raw, images: { dtype: 'float32', shape: [B, 3, ch, cw], data } };
  }
}
