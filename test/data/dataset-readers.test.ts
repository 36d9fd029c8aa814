/**
 * Dataset readers on tiny datasets written in each exact layout (file naming, id encodings,
 * palette GTA5 labels, 16-bit SYNTHIA labels with the class in channel 0). Expected train ids
 * come from independent tables: the cityscapesScripts dump and the papers' literal maps.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset, openLabelledDataset, openUnlabelledDataset } from '../../lib/data/datasets/registry.js';
import { DatasetError } from '../../lib/data/datasets/problems.js';
import type { LabelledDataset, UnlabelledDataset } from '../../lib/data/datasets/types.js';
import { FH, FW, tempDir, testImage, writeCamvid, writeCityscapes, writeGta5, writeNthu, writeSynthia } from './layout-fixtures.js';

const official = (JSON.parse(readFileSync('test/fixtures/eval/cityscapes_labels.json', 'utf8')) as {
  labels: { id: number; trainId: number; ignoreInEval: boolean }[];
}).labels;
/** labelId → cityscapes19 train id, from the cityscapesScripts dump. */
const CS19 = new Map(official.filter((o) => o.id >= 0).map((o) => [o.id, o.ignoreInEval ? 255 : o.trainId]));
const NTHU13: Record<number, number> = { 7: 0, 8: 1, 11: 2, 19: 3, 20: 4, 21: 5, 23: 6, 24: 7, 25: 8, 26: 9, 28: 10, 32: 11, 33: 12 };
const SYN16: Record<number, number> = { 3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 9, 10: 10, 17: 11, 8: 12, 19: 13, 12: 14, 11: 15 };

async function labelsOf(ds: LabelledDataset): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (let i = 0; i < ds.size; i++) {
    const s = await ds.readSample(i);
    assert.deepEqual([s.image.width, s.image.height, s.label.width, s.label.height], [FW, FH, FW, FH]);
    out.set(s.name, Array.from(s.label.data));
  }
  return out;
}

function names(ds: { size: number; name(i: number): string }): string[] {
  return Array.from({ length: ds.size }, (_, i) => ds.name(i));
}

/** An adaptation dataset exposes nothing label-related, not even through reflection. */
function assertLabelFree(ds: UnlabelledDataset): void {
  assert.equal(ds.labelled, false);
  const keys = new Set<string>();
  for (let o: object | null = ds; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Reflect.ownKeys(o)) keys.add(String(k));
  }
  keys.delete('labelled'); // the type's discriminant, always false here
  for (const k of keys) assert.doesNotMatch(k, /label|gt|annot|pair|map/i, `field or method '${k}'`);
  assert.doesNotMatch(JSON.stringify(ds), /labels|gtFine|LABELS|_eval/);
  assert.equal((ds as unknown as { readLabel?: unknown }).readLabel, undefined);
}

describe('data/datasets: readers on every real layout', function () {
  this.timeout(30000);
  let root: string;
  before(async () => {
    root = await tempDir('ds-readers');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('Cityscapes: leftImg8bit/gtFine pairing, labelIds → 19 train ids (ignoring color/instanceIds files)', async () => {
    const dir = join(root, 'cityscapes');
    const fx = await writeCityscapes(dir);
    const ds = await openLabelledDataset({ kind: 'cityscapes', root: dir, split: 'train' });
    assert.equal(ds.protocol.id, 'cityscapes19');
    assert.deepEqual(names(ds), fx.keys);
    const got = await labelsOf(ds);
    for (const [k, raw] of fx.raw) assert.deepEqual(got.get(k), raw.map((v) => CS19.get(v)!), k);
    assert.equal(ds.outOfTableCounts().size, 0);
    const img = await ds.readImage(names(ds).indexOf('bremen_000000_000019'));
    assert.deepEqual(Array.from(img.data), Array.from(testImage(0).data));
  });

  it('Cityscapes with the 16- and 13-class protocols', async () => {
    const dir = join(root, 'cityscapes');
    const ds16 = await openLabelledDataset({ kind: 'cityscapes', root: dir, split: 'train', protocol: 'cityscapes16' });
    const ds13 = await openLabelledDataset({ kind: 'cityscapes', root: dir, split: 'train', protocol: 'cityscapes13' });
    const l19 = await labelsOf(await openLabelledDataset({ kind: 'cityscapes', root: dir, split: 'train' }));
    const l16 = await labelsOf(ds16);
    const l13 = await labelsOf(ds13);
    const to16 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 255, 9, 10, 11, 12, 255, 13, 255, 14, 15]; // drop terrain 9, truck 14, train 16
    const to13 = [0, 1, 2, 255, 255, 255, 3, 4, 5, 255, 6, 7, 8, 9, 255, 10, 255, 11, 12];
    for (const [k, v19] of l19) {
      assert.deepEqual(l16.get(k), v19.map((t) => (t === 255 ? 255 : to16[t]!)));
      assert.deepEqual(l13.get(k), v19.map((t) => (t === 255 ? 255 : to13[t]!)));
    }
  });

  it('GTA5: palette labels are read as indices (Cityscapes labelIds), not colours', async () => {
    const dir = join(root, 'gta5');
    const fx = await writeGta5(dir);
    const ds = await openLabelledDataset({ kind: 'gta5', root: dir, split: 'all' });
    assert.deepEqual(names(ds), ['00001', '00002', '00003']);
    const got = await labelsOf(ds);
    for (const [k, raw] of fx.raw) assert.deepEqual(got.get(k), raw.map((v) => CS19.get(v)!), k);
    assert.equal(ds.outOfTableCounts().size, 0);
  });

  it('SYNTHIA: 16-bit labels, class id from channel 0 (instance ids in channel 1 ignored) → 16 classes', async () => {
    const dir = join(root, 'synthia');
    const fx = await writeSynthia(dir);
    const ds = await openLabelledDataset({ kind: 'synthia', root: dir, split: 'all' });
    assert.equal(ds.protocol.id, 'cityscapes16');
    assert.deepEqual(names(ds), ['0000000', '0000001']);
    const got = await labelsOf(ds);
    for (const [k, raw] of fx.raw) assert.deepEqual(got.get(k), raw.map((v) => SYN16[v] ?? 255), k);
    assert.equal(ds.outOfTableCounts().size, 0, 'instance ids (channel 1) never reach the class map');
  });

  it('NTHU cross-city: Train images unlabelled, Test images + *_eval.png labels → 13 classes', async () => {
    const dir = join(root, 'nthu');
    const fx = await writeNthu(dir, 'Rome');
    const train = await openUnlabelledDataset({ kind: 'nthu', root: dir, split: 'train', city: 'Rome' });
    assert.deepEqual(names(train), fx.trainKeys);
    assertLabelFree(train);
    const test = await openLabelledDataset({ kind: 'nthu', root: dir, split: 'test', city: 'Rome' });
    assert.deepEqual(names(test), fx.testKeys);
    const got = await labelsOf(test);
    for (const [k, raw] of fx.raw) assert.deepEqual(got.get(k), raw.map((v) => NTHU13[v] ?? 255), k);
    // 255 is not a Cityscapes labelId: counted as outside the table
    assert.ok((test.outOfTableCounts().get(255) ?? 0) > 0);
    await assert.rejects(openLabelledDataset({ kind: 'nthu', root: dir, split: 'train', city: 'Rome' }), /no public labels/);
    await assert.rejects(openUnlabelledDataset({ kind: 'nthu', root: dir, split: 'train', city: 'Paris' }), /field 'city'/);
    await assert.rejects(openUnlabelledDataset({ kind: 'nthu', root: dir, split: 'train' }), /field 'city'/);
  });

  it('CamVid: splits, split union, sequence prefixes, test split unlabelled only', async () => {
    const dir = join(root, 'camvid');
    const fx = await writeCamvid(dir);
    const train = await openLabelledDataset({ kind: 'camvid', root: dir, split: 'train' });
    assert.deepEqual(names(train), [...fx.keys.train!].sort());
    const got = await labelsOf(train);
    for (const k of fx.keys.train!) assert.deepEqual(got.get(k), fx.raw.get(k));
    const tv = await openLabelledDataset({ kind: 'camvid', root: dir, split: 'train+val' });
    assert.equal(tv.size, 4);
    const dusk = await openUnlabelledDataset({ kind: 'camvid', root: dir, split: 'train', namePrefixes: ['0001TP'] });
    assert.deepEqual(names(dusk), ['0001TP_006690', '0001TP_006720']);
    const test = await openDataset({ kind: 'camvid', root: dir, split: 'test', labels: false });
    assert.equal(test.size, 2);
    await assert.rejects(openLabelledDataset({ kind: 'camvid', root: dir, split: 'test' }), /no public labels/);
  });

  it('adaptation datasets hold no label: no field, no method, label folders never read', async () => {
    const dir = join(root, 'camvid-nolabels');
    await writeCamvid(dir);
    const labelled = await openLabelledDataset({ kind: 'camvid', root: dir, split: 'train' });
    const viaLabelled = labelled.imagesOnly();
    const direct = await openDataset({ kind: 'camvid', root: dir, split: 'train', labels: false });
    for (const ds of [viaLabelled, direct]) {
      assertLabelFree(ds);
      assert.equal(ds.size, 3);
      assert.deepEqual(names(ds), names(labelled));
    }
    // the label folder can vanish: an unlabelled dataset does not need it
    await rm(join(dir, 'train', 'labels'), { recursive: true });
    const again = await openUnlabelledDataset({ kind: 'camvid', root: dir, split: 'train' });
    assert.equal(again.size, 3);
    assert.equal((await again.readImage(0)).width, FW);
    await assert.rejects(openLabelledDataset({ kind: 'camvid', root: dir, split: 'train' }), /missing folder/);
  });

  it('bad specs: errors name the field', async () => {
    await assert.rejects(openLabelledDataset({ kind: 'kitti', root: root, split: 'train' }), /field 'kind' = 'kitti'/);
    await assert.rejects(openLabelledDataset({ kind: 'camvid', root: root, split: 'dev' }), /field 'split' = 'dev'/);
    await assert.rejects(openLabelledDataset({ kind: 'camvid', root: root, split: 'train', protocol: 'cityscapes19' }), /field 'protocol'/);
    await assert.rejects(openLabelledDataset({ kind: 'synthia', root: root, split: 'all', protocol: 'camvid11' }), /field 'protocol'/);
    await assert.rejects(openLabelledDataset({ kind: 'camvid', root: '', split: 'train' }), /field 'root'/);
  });

  it('missing folders and unpaired files: opening fails listing every problem', async () => {
    const dir = join(root, 'camvid-broken');
    await writeCamvid(dir);
    await rm(join(dir, 'train', 'labels', '0001TP_006720.png'));
    await rm(join(dir, 'val', 'images'), { recursive: true });
    const err = await openLabelledDataset({ kind: 'camvid', root: dir, split: 'train+val' }).then(
      () => assert.fail('should not open'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DatasetError);
    const kinds = err.problems.map((p) => p.kind).sort();
    // 3 images and 3 labels in all (train 3+2, val 0+1): no count mismatch, but unpaired names
    assert.deepEqual(kinds, ['missing-folder', 'unpaired-image', 'unpaired-label']);
    assert.match(err.message, /0001TP_006720/);
    assert.match(err.message, /val[/\\]images/);
    assert.match(err.message, /dataset-check/);
  });

  it('index checks and readSample size mismatch naming both files', async () => {
    const dir = join(root, 'camvid');
    const ds = await openLabelledDataset({ kind: 'camvid', root: dir, split: 'val' });
    assert.throws(() => ds.name(1), RangeError);
    assert.throws(() => ds.name(-1), RangeError);
    const { writeLabelPng } = await import('../../lib/data/io/label.js');
    await writeLabelPng(join(dir, 'val', 'labels', '0016E5_07959.png'), { width: FW + 1, height: FH, data: new Uint8Array((FW + 1) * FH) });
    await assert.rejects(ds.readSample(0), /0016E5_07959\.png.*differs from image .*0016E5_07959\.png/);
  });
});
