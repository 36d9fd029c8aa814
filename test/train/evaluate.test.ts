/**
 * evaluatePredictor's plumbing: batching (a partial last batch), order, normalisation, the
 * resize policy and the exports, with predictors whose exact answer is known.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluatePredictor } from '../../lib/train/evaluate.js';
import { toBatch } from '../../lib/model/to-batch.js';
import { IMAGENET_NORMALIZATION } from '../../lib/model/model-file.js';
import { synthStreetDataset } from '../../lib/train/synth-dataset.js';

describe('train/evaluatePredictor', () => {
  const ds = synthStreetDataset({ seed: 3, count: 5, width: 48, height: 36 });

  it('a predictor that returns the ground truth scores mIoU 1 over batches of 2, 2, 1', async () => {
    let next = 0;
    const sizes: number[] = [];
    const gt = async (x: { shape: readonly number[] }) => {
      const n = x.shape[0]!;
      sizes.push(n);
      const out = new Uint8Array(n * 48 * 36);
      for (let k = 0; k < n; k++) out.set((await ds.readLabel(next++)).data, k * 48 * 36);
      return out;
    };
    const ev = await evaluatePredictor(gt, ds, { normalize: IMAGENET_NORMALIZATION, batch: 2 });
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.equal(ev.result.images, 5);
    assert.equal(ev.result.mIoU, 1);
  });

  it('a constant predictor scores the IoU of that class only, and feeds normalised images', async () => {
    let seen: Float32Array | undefined;
    const road = async (x: { shape: readonly number[]; data: unknown }) => {
      seen ??= x.data as Float32Array;
      return new Uint8Array(x.shape[0]! * x.shape[2]! * x.shape[3]!).fill(3);
    };
    const ev = await evaluatePredictor(road, ds, { normalize: IMAGENET_NORMALIZATION, batch: 4 });
    let inter = 0, union = 0;
    for (let i = 0; i < 5; i++) for (const v of (await ds.readLabel(i)).data) { if (v === 255) continue; union++; if (v === 3) inter++; }
    assert.ok(Math.abs(ev.result.iou[3]! - inter / union) < 1e-12);
    const ref = toBatch([await ds.readImage(0)], IMAGENET_NORMALIZATION).data as Float32Array;
    assert.deepEqual(seen!.subarray(0, ref.length), ref);
    assert.ok(Math.abs(ref[0]! - ((await ds.readImage(0)).data[0]! / 255 - 0.485) / 0.229) < 1e-6);
  });

  it('resize policy: the model sees WxH, predictions come back at the label size; exports are written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evx-'));
    const shapes: string[] = [];
    const ev = await evaluatePredictor(async (x) => { shapes.push(x.shape.join('x')); return new Uint8Array(x.shape[0]! * 20 * 16).fill(0); }, ds, {
      normalize: IMAGENET_NORMALIZATION, batch: 5, resize: [20, 16], export: { dir, predictions: true, overlays: 2 },
    });
    assert.deepEqual(shapes, ['5x3x16x20']);
    assert.equal(ev.result.images, 5);
    assert.equal(fs.readdirSync(path.join(dir, 'pred')).length, 5);
    assert.equal(fs.readdirSync(path.join(dir, 'overlay')).length, 2);
  });
});
