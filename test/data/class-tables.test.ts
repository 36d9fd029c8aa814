/**
 * Class tables and id → train-id maps against independent references:
 * - the Cityscapes table against a JSON dump of cityscapesScripts' labels.py
 *   (tools/cityscapes/dump_labels.py → test/fixtures/eval/cityscapes_labels.json);
 * - the SYNTHIA 16-class and NTHU 13-class maps against the literal id_to_trainid tables that
 *   the SFDA / UDA papers' public data loaders use (the implementation derives them by class
 *   name instead).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyIdMap } from '../../lib/data/datasets/id-map.js';
import { camvidIdMap, cityscapesIdMap, synthiaIdMap } from '../../lib/data/datasets/mappings.js';
import { classSubsetIndices, PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { CITYSCAPES_LABELS } from '../../lib/data/datasets/tables/cityscapes.js';

interface OfficialLabel {
  name: string;
  id: number;
  trainId: number;
  category: string;
  catId: number;
  hasInstances: boolean;
  ignoreInEval: boolean;
  color: number[];
}

const official = (JSON.parse(readFileSync('test/fixtures/eval/cityscapes_labels.json', 'utf8')) as { labels: OfficialLabel[] }).labels;

function lookup(map: { lut: Uint8Array; known: Uint8Array }, v: number): number {
  return map.known[v] ? map.lut[v]! : -1;
}

describe('data/datasets: class tables', () => {
  it('the Cityscapes table equals cityscapesScripts labels.py, field by field', () => {
    assert.equal(CITYSCAPES_LABELS.length, official.length);
    official.forEach((o, i) => {
      const t = CITYSCAPES_LABELS[i]!;
      assert.deepEqual(
        { ...t, color: [...t.color] },
        { name: o.name, id: o.id, trainId: o.trainId, category: o.category, catId: o.catId, hasInstances: o.hasInstances, ignoreInEval: o.ignoreInEval, color: o.color },
      );
    });
  });

  it('cityscapes19: labelId → trainId as in labels.py; ids 34..255 are outside the table', () => {
    const m = cityscapesIdMap('cityscapes19');
    for (const o of official) {
      if (o.id < 0) continue;
      assert.equal(lookup(m, o.id), o.ignoreInEval ? 255 : o.trainId, o.name);
    }
    for (let v = 34; v < 256; v++) assert.equal(m.known[v], 0, `value ${v}`);
    assert.deepEqual(PROTOCOLS.cityscapes19.palette.map((c) => [...c]), official.filter((o) => !o.ignoreInEval && o.id >= 0).map((o) => o.color));
  });

  it('cityscapes16 / cityscapes13 drop terrain, truck, train (and wall, fence, pole)', () => {
    const names19 = official.filter((o) => !o.ignoreInEval && o.id >= 0).map((o) => o.name);
    assert.deepEqual(PROTOCOLS.cityscapes16.classes, names19.filter((n) => !['terrain', 'truck', 'train'].includes(n)));
    assert.deepEqual(PROTOCOLS.cityscapes13.classes, [
      'road', 'sidewalk', 'building', 'traffic light', 'traffic sign', 'vegetation', 'sky',
      'person', 'rider', 'car', 'bus', 'motorcycle', 'bicycle',
    ]);
    assert.deepEqual(classSubsetIndices(PROTOCOLS.cityscapes16, PROTOCOLS.cityscapes13), [0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    assert.deepEqual(classSubsetIndices(PROTOCOLS.cityscapes19, PROTOCOLS.cityscapes13), [0, 1, 2, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18]);
  });

  it('NTHU cross-city: labelId → 13 classes as the papers\' loaders (7:0, 8:1, 11:2, …, 33:12)', () => {
    const literal: Record<number, number> = { 7: 0, 8: 1, 11: 2, 19: 3, 20: 4, 21: 5, 23: 6, 24: 7, 25: 8, 26: 9, 28: 10, 32: 11, 33: 12 };
    const m = cityscapesIdMap('cityscapes13');
    for (let v = 0; v < 34; v++) assert.equal(lookup(m, v), literal[v] ?? 255, `labelId ${v}`);
  });

  it('SYNTHIA: 16-class map equals the papers\' id_to_trainid; 13 and 19 follow', () => {
    const lit16: Record<number, number> = { 3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 9, 10: 10, 17: 11, 8: 12, 19: 13, 12: 14, 11: 15 };
    const lit19: Record<number, number> = {
      3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 16: 9, 1: 10, 10: 11, 17: 12, 8: 13, 18: 14, 19: 15, 20: 16, 12: 17, 11: 18,
    };
    const m16 = synthiaIdMap('cityscapes16');
    const m19 = synthiaIdMap('cityscapes19');
    const m13 = synthiaIdMap('cityscapes13');
    const sub = classSubsetIndices(PROTOCOLS.cityscapes16, PROTOCOLS.cityscapes13);
    for (let v = 0; v <= 22; v++) {
      assert.equal(lookup(m16, v), lit16[v] ?? 255, `16: id ${v}`);
      assert.equal(lookup(m19, v), lit19[v] ?? 255, `19: id ${v}`);
      const t16 = lit16[v];
      const t13 = t16 === undefined ? 255 : sub.indexOf(t16) >= 0 ? sub.indexOf(t16) : 255;
      assert.equal(lookup(m13, v), t13, `13: id ${v}`);
    }
    assert.equal(m16.lut.length, 65536);
    for (const v of [23, 255, 256, 1000, 65535]) assert.equal(m16.known[v], 0);
  });

  it('CamVid: identity on 0..10, 255 void in the table, anything else outside', () => {
    const m = camvidIdMap();
    for (let v = 0; v < 256; v++) assert.equal(lookup(m, v), v <= 10 ? v : v === 255 ? 255 : -1, `value ${v}`);
  });

  it('applyIdMap: values outside the table become 255 and are counted per value', () => {
    const raw = Uint8Array.from([0, 3, 11, 11, 255, 12, 40, 40, 40]);
    const out = new Uint8Array(raw.length);
    const counts = new Map<number, number>();
    const n = applyIdMap(raw, camvidIdMap(), out, counts);
    assert.deepEqual(Array.from(out), [0, 3, 255, 255, 255, 255, 255, 255, 255]);
    assert.equal(n, 6);
    assert.deepEqual([...counts].sort((a, b) => a[0] - b[0]), [
      [11, 2],
      [12, 1],
      [40, 3],
    ]);
    const raw16 = Uint16Array.from([3, 1003, 65535, 21]);
    const out16 = new Uint8Array(4);
    const c16 = new Map<number, number>();
    applyIdMap(raw16, synthiaIdMap('cityscapes16'), out16, c16);
    assert.deepEqual(Array.from(out16), [0, 255, 255, 3]);
    assert.deepEqual([...c16], [
      [1003, 1],
      [65535, 1],
    ]);
  });
});
