/**
 * CamVid readers on the real data in ../shared/data/camvid (skipped when absent). Counts and
 * layout from the data's README: train 367 (0001TP 62, 0006R0 101, 0016E5 204), val 101,
 * test 233 with labels withheld, 240x180 frames, 11 classes + 255 void.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { checkDataset } from '../../lib/data/check/check-dataset.js';
import { openLabelledDataset, openUnlabelledDataset } from '../../lib/data/datasets/registry.js';

const ROOT = '../shared/data/camvid';

describe('data/datasets: CamVid on the real data', function () {
  this.timeout(60000);
  before(function () {
    if (!existsSync(ROOT)) this.skip();
  });

  it('split sizes and sequences', async () => {
    const train = await openLabelledDataset({ kind: 'camvid', root: ROOT, split: 'train' });
    const val = await openLabelledDataset({ kind: 'camvid', root: ROOT, split: 'val' });
    const test = await openUnlabelledDataset({ kind: 'camvid', root: ROOT, split: 'test' });
    assert.deepEqual([train.size, val.size, test.size], [367, 101, 233]);
    const seq = new Map<string, number>();
    for (let i = 0; i < train.size; i++) {
      const s = train.name(i).split('_')[0]!;
      seq.set(s, (seq.get(s) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(seq), { '0001TP': 62, '0006R0': 101, '0016E5': 204 });
    const dusk = await openUnlabelledDataset({ kind: 'camvid', root: ROOT, split: 'train', namePrefixes: ['0001TP'] });
    assert.equal(dusk.size, 62);
    const daySource = await openLabelledDataset({ kind: 'camvid', root: ROOT, split: 'train+val', namePrefixes: ['0006R0', '0016E5'] });
    assert.equal(daySource.size, 101 + 204 + 101);
  });

  it('samples: 240x180 RGB, labels in 0..10 or 255; the dusk sequence is darker', async () => {
    const train = await openLabelledDataset({ kind: 'camvid', root: ROOT, split: 'train' });
    const luma: Record<string, number[]> = {};
    for (const i of [0, 30, 61, 62, 150, 300, 366]) {
      const s = await train.readSample(i);
      assert.deepEqual([s.image.width, s.image.height, s.image.data.length], [240, 180, 240 * 180 * 3]);
      for (const v of s.label.data) assert.ok(v <= 10 || v === 255, `label value ${v}`);
      let sum = 0;
      for (let p = 0; p < 240 * 180; p++) sum += 0.299 * s.image.data[3 * p]! + 0.587 * s.image.data[3 * p + 1]! + 0.114 * s.image.data[3 * p + 2]!;
      (luma[s.name.split('_')[0]!] ??= []).push(sum / (240 * 180));
    }
    assert.equal(train.outOfTableCounts().size, 0);
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    assert.ok(mean(luma['0001TP']!) < 80, `dusk luma ${mean(luma['0001TP']!)}`);
    assert.ok(mean(luma['0016E5']!) > 90, `day luma ${mean(luma['0016E5']!)}`);
  });

  it('dataset-check passes on val', async () => {
    const r = await checkDataset({ kind: 'camvid', root: ROOT, split: 'val' });
    assert.deepEqual(r.problems, []);
    assert.equal(r.pairs, 101);
    assert.deepEqual(r.imageSizes, [{ width: 240, height: 180, count: 101 }]);
    assert.equal(r.histogram!.totalPixels, 101 * 240 * 180);
    assert.ok(r.histogram!.pixels.every((n) => n > 0), 'every class appears in val');
  });
});
