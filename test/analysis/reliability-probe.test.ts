/**
 * The reliability probe (lib/analysis/reliability-probe.ts) on a tiny STvM run: its forward-only
 * metric program gives the similarities the metric step computes (before its update), and
 * probing changes nothing of the run (the next steps' losses are those of an unprobed run).
 */
import assert from 'node:assert/strict';
import type { LabelledDataset } from '../../lib/data/datasets/types.js';
import { metricTargets } from '../../lib/method/stvm/maps.js';
import { metricSimProgram, probeTiles, ReliabilityProbe } from '../../lib/analysis/reliability-probe.js';
import { Rng } from '../../lib/data/rng.js';
import { CROP, TINY_SPEC, tinyAlgorithm, tinyConfig, tinyTargets } from '../method/stvm-helpers.js';

function tinyLabelled(): LabelledDataset {
  const imgs = tinyTargets(4, 9);
  return {
    labelled: true, id: 'tiny-labelled', size: 4, name: (i: number) => `l${i}`,
    protocol: { id: 'tiny', numClasses: TINY_SPEC.numClasses, ignoreIndex: 255, classes: ['a', 'b', 'c', 'd', 'e'] },
    readSample: async (i: number) => {
      const image = await imgs.readImage(i);
      const label = new Uint8Array(image.width * image.height);
      for (let k = 0; k < label.length; k++) label[k] = k % 7 === 0 ? 255 : (image.data[k * 3]! >> 6) % TINY_SPEC.numClasses;
      return { name: `l${i}`, image, label: { width: image.width, height: image.height, data: label } };
    },
  } as unknown as LabelledDataset;
}

describe('analysis: reliability probe (tiny STvM)', () => {
  it('the forward-only metric program reproduces the metric step\'s similarities', async () => {
    const cfg = tinyConfig();
    const alg = await tinyAlgorithm(cfg);
    try {
      await alg.step(0);
      const tiles = await probeTiles(tinyLabelled(), 2, CROP, {});
      const x = new Float32Array(2 * 3 * CROP[0] * CROP[1]);
      x.set(tiles[0]!.image, 0);
      x.set(tiles[1]!.image, tiles[0]!.image.length);
      const out = await alg.teacherSide.forward({ dtype: 'float32', shape: [2, 3, CROP[1], CROP[0]], data: x });
      await alg.teacherSide.runner.addProgram('sim_test', metricSimProgram(2, alg.teacherSide.params.featureChannels, alg.teacherSide.featureSize, TINY_SPEC.numClasses, cfg.metric, 11));
      const mine = (await alg.teacherSide.runner.run('sim_test', { features: out.features }, { transfer: false }))['sim']!.data as Float32Array;
      const tg = metricTargets(out.labelsFeat, TINY_SPEC.numClasses, cfg.metric.maxLocations, new Rng([1]));
      const theirs = (await alg.teacherSide.metricStep(out.features, tg.onehot, tg.valid, 1)).sim;
      assert.equal(mine.length, theirs.length);
      let err = 0;
      for (let i = 0; i < mine.length; i++) err = Math.max(err, Math.abs(mine[i]! - theirs[i]!));
      assert.ok(err < 1e-5, `max |Δsim| ${err}`);
    } finally {
      await alg.close();
    }
  });

  it('probing changes nothing: the run\'s losses equal an unprobed run\'s', async () => {
    const cfg = tinyConfig();
    const a = await tinyAlgorithm(cfg);
    const b = await tinyAlgorithm(cfg);
    try {
      const tiles = await probeTiles(tinyLabelled(), 4, CROP, {});
      const probe = new ReliabilityProbe(b, cfg, 11, 2, CROP, TINY_SPEC.numClasses);
      for (let t = 0; t < 3; t++) {
        const r = await probe.run(tiles);
        assert.ok(r.pixels > 0 && r.auroc_confidence >= 0 && r.auroc_confidence <= 1);
        for (const v of [r.auroc_confidence_coarse, r.auroc_product]) assert.ok(v >= 0 && v <= 1, `control AUROC ${v}`);
        assert.equal(r.hist_reliability.positive.reduce((x, y) => x + y, 0) + r.hist_reliability.negative.reduce((x, y) => x + y, 0), r.pixels);
        const la = await a.step(t), lb = await b.step(t);
        assert.equal(lb['loss'], la['loss'], `iteration ${t}`);
        assert.equal(lb['metric_loss'], la['metric_loss']);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
