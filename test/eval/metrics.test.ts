/**
 * Confusion matrix and metrics. References: a hand-worked example, and for random inputs a
 * direct per-class count over the pixel arrays (no matrix) of TP, FP, FN.
 */
import assert from 'node:assert/strict';
import { createConfusion, mergeConfusion, updateConfusion, confusionAt } from '../../lib/eval/confusion.js';
import { classAccuracy, iouPerClass, meanIoU, nanMean, pixelAccuracy } from '../../lib/eval/metrics.js';
import { summarize } from '../../lib/eval/results.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('eval: confusion matrix and IoU', () => {
  it('hand-worked 3-class example with ignore, an absent class and an invalid prediction', () => {
    // class 0: GT at 4 pixels, class 1: GT at 2 pixels, class 2: never in GT, predicted once.
    const label = [0, 0, 0, 0, 1, 1, 255, 255];
    const pred = [0, 0, 1, 255, 1, 2, 2, 0];
    const cm = createConfusion(3);
    updateConfusion(cm, pred, label);
    // class 0: TP 2, FN 2 (one predicted 1, one invalid), FP 0 (pixels under 255 do not count) → 2/4
    // class 1: TP 1, FN 1 (predicted 2), FP 1 (a class-0 pixel) → 1/3
    // class 2: TP 0, FN 0, FP 1 → 0
    const iou = Array.from(iouPerClass(cm));
    assert.deepEqual(iou, [0.5, 1 / 3, 0]);
    assert.equal(meanIoU(cm), (0.5 + 1 / 3 + 0) / 3);
    assert.equal(pixelAccuracy(cm), 3 / 6);
    assert.deepEqual(Array.from(classAccuracy(cm)), [0.5, 0.5, NaN]);
    assert.equal(confusionAt(cm, 0, 3), 1, 'invalid prediction column');
  });

  it('a class absent from ground truth and prediction is NaN and left out of mIoU', () => {
    const cm = createConfusion(4);
    updateConfusion(cm, [0, 1, 1, 0], [0, 1, 0, 0]);
    const iou = iouPerClass(cm);
    assert.ok(Number.isNaN(iou[2]!) && Number.isNaN(iou[3]!));
    // class 0: TP 2, FN 1 → 2/3; class 1: TP 1, FP 1 → 1/2
    assert.equal(meanIoU(cm), (2 / 3 + 1 / 2) / 2);
    assert.ok(Number.isNaN(meanIoU(createConfusion(4))), 'no data at all: NaN');
    assert.equal(meanIoU(cm, [1, 2, 3]), 1 / 2, 'subset mean skips NaN');
  });

  it('random inputs: matches a direct per-class count; streaming and merging agree', () => {
    const rnd = lcg(7);
    const C = 6;
    const N = 5000;
    const label: number[] = [];
    const pred: number[] = [];
    for (let i = 0; i < N; i++) {
      const u = rnd();
      label.push(u < 0.1 ? 255 : u < 0.12 ? 9 /* not a class: unknown */ : Math.floor(rnd() * (C - 1))); // class 5 never in GT
      const v = rnd();
      pred.push(v < 0.5 ? label[i]! : v < 0.55 ? 255 : Math.floor(rnd() * C));
    }
    const cm = createConfusion(C);
    updateConfusion(cm, Uint8Array.from(pred), Uint8Array.from(label));
    const valid = (y: number): boolean => y >= 0 && y < C;
    for (let c = 0; c < C; c++) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (let i = 0; i < N; i++) {
        if (!valid(label[i]!)) continue;
        if (label[i] === c && pred[i] === c) tp++;
        else if (label[i] === c) fn++;
        else if (pred[i] === c) fp++;
      }
      assert.equal(iouPerClass(cm)[c], tp / (tp + fp + fn), `class ${c}`);
    }
    assert.equal(iouPerClass(cm)[5], 0, 'predicted but absent from GT: IoU 0, counted');
    let unknown = 0;
    for (const y of label) if (y === 9) unknown++;
    assert.equal(cm.unknownLabelPixels, unknown);
    // streaming in chunks, and merging two halves, give the same matrix
    const s = createConfusion(C);
    for (let i = 0; i < N; i += 777) updateConfusion(s, pred.slice(i, i + 777), label.slice(i, i + 777));
    assert.deepEqual(s.counts, cm.counts);
    const a = createConfusion(C);
    const b = createConfusion(C);
    updateConfusion(a, pred.slice(0, 2000), label.slice(0, 2000));
    updateConfusion(b, pred.slice(2000), label.slice(2000));
    mergeConfusion(a, b);
    assert.deepEqual(a.counts, cm.counts);
    assert.equal(a.unknownLabelPixels, unknown);
    const r = summarize(cm, 'test6', ['a', 'b', 'c', 'd', 'e', 'f'], 1);
    assert.equal(r.mIoU, nanMean(Array.from(iouPerClass(cm))));
    assert.equal(r.validPixels, N - label.filter((y) => !valid(y)).length);
  });

  it('rejects mismatched lengths and bad shapes', () => {
    assert.throws(() => updateConfusion(createConfusion(3), [0, 1], [0]), /prediction has 2 values, label has 1/);
    assert.throws(() => createConfusion(0), /bad class count/);
    assert.throws(() => createConfusion(3, 1), /ignore index/);
    assert.throws(() => mergeConfusion(createConfusion(3), createConfusion(4)), /different shape/);
  });
});
