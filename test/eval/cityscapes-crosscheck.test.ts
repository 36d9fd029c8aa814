/**
 * lib/eval against the official Cityscapes evaluator. tools/cityscapes/crosscheck.py wrote
 * small labelId PNGs (test/fixtures/eval/cityscapes/) and the per-class IoU and mIoU that
 * cityscapesscripts' evalPixelLevelSemanticLabeling computed on them
 * (test/fixtures/eval/cityscapes_official.json). The same PNGs evaluated here must agree to
 * 1e-4, including the NaN class (absent from both) and the 0 class (predicted, absent in GT).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { applyIdMap } from '../../lib/data/datasets/id-map.js';
import { cityscapesIdMap } from '../../lib/data/datasets/mappings.js';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { openLabelledDataset } from '../../lib/data/datasets/registry.js';
import { writePng } from '../../lib/data/io/image.js';
import { readLabel } from '../../lib/data/io/label.js';
import { createConfusion, updateConfusion } from '../../lib/eval/confusion.js';
import { evaluateDataset, predictionFolder } from '../../lib/eval/evaluate.js';
import { iouPerClass, meanIoU } from '../../lib/eval/metrics.js';
import { tempDir, testImage } from '../data/layout-fixtures.js';

const FIX = 'test/fixtures/eval';
const official = JSON.parse(readFileSync(join(FIX, 'cityscapes_official.json'), 'utf8')) as {
  files: string[];
  classScores: Record<string, number | null>;
  averageScoreClasses: number;
};

function assertMatchesOfficial(iou: ArrayLike<number>, miou: number): void {
  const classes = PROTOCOLS.cityscapes19.classes;
  assert.deepEqual(Object.keys(official.classScores), [...classes]);
  classes.forEach((c, i) => {
    const want = official.classScores[c];
    const got = iou[i]!;
    if (want === null) assert.ok(Number.isNaN(got), `${c}: official NaN, got ${got}`);
    else assert.ok(Math.abs(got - want) < 1e-4, `${c}: ${got} vs official ${want}`);
  });
  assert.ok(Math.abs(miou - official.averageScoreClasses) < 1e-4, `mIoU ${miou} vs official ${official.averageScoreClasses}`);
}

describe('eval: cross-check with cityscapesscripts evalPixelLevelSemanticLabeling', () => {
  it('the fixture exercises NaN, zero and ignored-prediction cases', () => {
    assert.equal(official.classScores['train'], null);
    assert.equal(official.classScores['bus'], 0);
    assert.equal(official.files.length, 4);
  });

  it('per-class IoU and mIoU from the labelId PNGs match to 1e-4', async () => {
    const map = cityscapesIdMap('cityscapes19');
    const cm = createConfusion(19);
    for (const key of official.files) {
      const city = key.split('_')[0]!;
      const gt = await readLabel(join(FIX, 'cityscapes', 'gtFine', 'val', city, `${key}_gtFine_labelIds.png`));
      const pr = await readLabel(join(FIX, 'cityscapes', 'results', `${key}.png`));
      const g = new Uint8Array(gt.data.length);
      const p = new Uint8Array(pr.data.length);
      const unknown = new Map<number, number>();
      applyIdMap(gt.data, map, g, unknown);
      applyIdMap(pr.data, map, p); // ignored labelIds → 255 → a miss for the true class
      assert.equal(unknown.size, 0);
      updateConfusion(cm, p, g);
    }
    assertMatchesOfficial(iouPerClass(cm), meanIoU(cm));
  });

  it('the same through the Cityscapes reader and a prediction folder (official labelId format)', async function () {
    this.timeout(20000);
    const root = await tempDir('cs-crosscheck');
    try {
      await cp(join(FIX, 'cityscapes', 'gtFine'), join(root, 'gtFine'), { recursive: true });
      for (const [k, key] of official.files.entries()) {
        const city = key.split('_')[0]!;
        await mkdir(join(root, 'leftImg8bit', 'val', city), { recursive: true });
        await writePng(join(root, 'leftImg8bit', 'val', city, `${key}_leftImg8bit.png`), testImage(k, 64, 32));
      }
      const ds = await openLabelledDataset({ kind: 'cityscapes', root, split: 'val' });
      const { result } = await evaluateDataset(ds, predictionFolder(join(FIX, 'cityscapes', 'results'), ds, 'cityscapes-labelid'));
      assertMatchesOfficial(result.iou, result.mIoU);
      assert.equal(result.images, 4);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
