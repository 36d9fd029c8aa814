/**
 * DataLoader: identical batches with 0, 1 and 2 workers (SynthStreet generated on the fly,
 * full augmentation recipe), per-epoch determinism, shapes and layout (NCHW float32, NHW
 * uint8), agreement with a direct computation, a dataset read from disk through the dataset
 * readers, and clear errors.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLabelPng, writePng } from '../../lib/data/io/index.js';
import { DataLoader, type Batch, type LoaderOptions } from '../../lib/data/loader/index.js';
import { Rng } from '../../lib/data/rng.js';
import { SynthStreet } from '../../lib/data/synthstreet/index.js';
import { augment, toCHW, type AugmentSpec } from '../../lib/data/transforms/index.js';

const AUG: AugmentSpec = {
  scale: [0.6, 1.2], crop: [96, 64], flip: 0.5,
  photometric: { jitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.05, p: 0.8 }, noise: { sigma: [1, 4], p: 0.5 } },
  normalize: 'imagenet',
};
const BASE: LoaderOptions = { source: { kind: 'synthstreet', seed: 3, count: 10, style: 'dusk', width: 120, height: 90 }, augment: AUG, batchSize: 3, seed: 17 };

async function collect(opts: LoaderOptions, epoch: number): Promise<Batch[]> {
  const dl = await DataLoader.open(opts);
  try {
    const out: Batch[] = [];
    for await (const b of dl.epoch(epoch)) out.push(b);
    return out;
  } finally {
    await dl.close();
  }
}

function sameBatches(a: Batch[], b: Batch[], what: string): void {
  assert.equal(a.length, b.length, `${what}: batch count`);
  a.forEach((x, k) => {
    assert.deepEqual(x.indices, b[k]!.indices, `${what}: batch ${k} indices`);
    assert.deepEqual(x.shape, b[k]!.shape);
    assert.ok(Buffer.from(x.images.buffer).equals(Buffer.from(b[k]!.images.buffer)), `${what}: batch ${k} images`);
    assert.deepEqual(x.labels, b[k]!.labels, `${what}: batch ${k} labels`);
  });
}

describe('data loader', function () {
  this.timeout(60000);

  it('yields identical batches with 0, 1 and 2 workers (and any prefetch depth)', async () => {
    const b0 = await collect({ ...BASE, workers: 0 }, 1);
    const b1 = await collect({ ...BASE, workers: 1, prefetch: 1 }, 1);
    const b2 = await collect({ ...BASE, workers: 2, prefetch: 3, perWorker: 1 }, 1);
    assert.equal(b0.length, 3, '10 samples, batch 3, dropLast ⇒ 3 batches');
    sameBatches(b0, b1, '1 worker');
    sameBatches(b0, b2, '2 workers');
  });

  it('is deterministic per (seed, epoch): same epoch ⇒ same batches; other epoch or seed ⇒ different', async () => {
    const a = await collect({ ...BASE, workers: 1 }, 0);
    const b = await collect({ ...BASE, workers: 1 }, 0);
    sameBatches(a, b, 'same epoch');
    const c = await collect({ ...BASE, workers: 1 }, 2);
    assert.notDeepEqual(c.map((x) => x.indices), a.map((x) => x.indices));
    const d = await collect({ ...BASE, seed: 18, workers: 0 }, 0);
    assert.ok(!Buffer.from(d[0]!.images.buffer).equals(Buffer.from(a[0]!.images.buffer)));
  });

  it('batches are NCHW float32 + NHW uint8 equal to computing each sample directly', async () => {
    const [b] = await collect({ ...BASE, batchSize: 2, shuffle: false, workers: 1 }, 4);
    assert.deepEqual(b!.indices, [0, 1]);
    assert.deepEqual(b!.shape, [2, 3, 64, 96]);
    assert.equal(b!.images.length, 2 * 3 * 64 * 96);
    assert.equal(b!.labels!.length, 2 * 64 * 96);
    const gen = new SynthStreet(3, { style: 'dusk', width: 120, height: 90 });
    for (const [n, idx] of b!.indices.entries()) {
      const f = gen.frame(idx);
      const s = augment({ image: { width: 120, height: 90, channels: 3, data: f.image }, label: { width: 120, height: 90, data: f.label } },
        AUG, new Rng(['loader', 17, 4, idx]));
      const chw = toCHW(s.image, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
      assert.deepEqual(b!.images.subarray(n * chw.data.length, (n + 1) * chw.data.length), chw.data, `sample ${idx} image`);
      assert.deepEqual(b!.labels!.subarray(n * 64 * 96, (n + 1) * 64 * 96), s.label!.data, `sample ${idx} label`);
    }
  });

  it('keeps the last partial batch with dropLast: false; rejects bad options', async () => {
    const all = await collect({ ...BASE, dropLast: false, workers: 0 }, 0);
    assert.deepEqual(all.map((b) => b.shape[0]), [3, 3, 3, 1]);
    assert.deepEqual(new Set(all.flatMap((b) => b.indices)).size, 10);
    await assert.rejects(DataLoader.open({ ...BASE, batchSize: 0 }), /batchSize must be a positive integer/);
    await assert.rejects(DataLoader.open({ ...BASE, augment: { crop: [0, 1] } as AugmentSpec }), /loader\.augment\.crop/);
    await assert.rejects(DataLoader.open({ ...BASE, batchSize: 11 }), /10 samples make no batch of 11/);
  });

  it('reads a CamVid-layout dataset from disk in workers (labelled and unlabelled)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'loader-'));
    try {
      const gen = new SynthStreet(9, { width: 64, height: 48 });
      await mkdir(join(root, 'train', 'images'), { recursive: true });
      await mkdir(join(root, 'train', 'labels'), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const f = gen.frame(i);
        await writePng(join(root, 'train', 'images', `f${i}.png`), { width: 64, height: 48, channels: 3, data: f.image });
        await writeLabelPng(join(root, 'train', 'labels', `f${i}.png`), { width: 64, height: 48, data: f.label });
      }
      const opts: LoaderOptions = { source: { kind: 'dataset', dataset: { kind: 'camvid', root, split: 'train' }, labels: true }, batchSize: 2, seed: 1, shuffle: false };
      const w0 = await collect({ ...opts, workers: 0 }, 0);
      const w2 = await collect({ ...opts, workers: 2 }, 0);
      sameBatches(w0, w2, 'dataset source');
      assert.deepEqual(w0[1]!.labels!.subarray(0, 64 * 48), gen.frame(2).label);
      const un = await collect({ ...opts, source: { kind: 'dataset', dataset: { kind: 'camvid', root, split: 'train' }, labels: false }, workers: 1 }, 0);
      assert.equal(un[0]!.labels, null);
      assert.deepEqual(un[0]!.images, w0[0]!.images);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
