/**
 * Source training on a tiny DeepLab (widths 4–32, 32×24 crops, batch 2): exact resume through
 * the real runner and loader, the model file and the ONNX export agree, and bad input
 * (config fields, a model that does not fit the dataset) gets clear errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRunDir } from '../../lib/run/run-dir.js';
import { configHash } from '../../lib/train/config-hash.js';
import { labelledDatasetOf } from '../../lib/train/data-config.js';
import { evaluatePredictor } from '../../lib/train/evaluate.js';
import { toBatch } from '../../lib/model/to-batch.js';
import { runLoop } from '../../lib/train/loop.js';
import { loadSegModel } from '../../lib/model/model-file.js';
import { openModel } from '../../lib/model/model-predictor.js';
import { validateSourceConfig, type SourceConfig } from '../../lib/train/source-config.js';
import { SupervisedAlgorithm } from '../../lib/train/supervised.js';
import { synthStreetDataset } from '../../lib/train/synth-dataset.js';

const tiny = (over: Record<string, unknown> = {}): SourceConfig => validateSourceConfig({
  iterations: 6, batch: 2,
  model: { baseWidth: 4, stemWidth: 4 },
  augment: { cropWidth: 32, cropHeight: 24 },
  data: { count: 5, width: 64, height: 48 },
  loss: { classBalance: 0.5, balanceFrames: 3 },
  val: { enabled: false },
  runtime: { threads: 1, workers: 1, checkpointEvery: 0 },
  ...over,
});

async function train(dir: string, c: SourceConfig, opts: { until?: number; resume?: boolean } = {}): Promise<SupervisedAlgorithm> {
  const alg = await SupervisedAlgorithm.create(c, await labelledDatasetOf(c.data));
  await runLoop(alg, { iterations: c.iterations, run: openRunDir(dir, c, { console: 'none', resume: opts.resume ?? false }), checkpointEvery: 0, configHash: configHash(c), progress: false, ...opts });
  return alg;
}

const losses = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number }).map((r) => r.loss);

describe('train/supervised (tiny DeepLab)', function () {
  this.timeout(120000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sup-'));

  it('a resumed run (3 + resume + 3, resuming mid-epoch) reproduces the uninterrupted losses exactly', async () => {
    const c = tiny();
    const a = await train(path.join(root, 'a'), c);
    await a.saveModel(path.join(root, 'a', 'model.ckpt'));
    await a.exportModel(path.join(root, 'a', 'model.onnx'));
    await a.close();
    await (await train(path.join(root, 'b'), c, { until: 3 })).close();
    await (await train(path.join(root, 'b'), c, { resume: true })).close();
    const la = losses(path.join(root, 'a')), lb = losses(path.join(root, 'b'));
    assert.equal(la.length, 6);
    assert.ok(la.every(Number.isFinite));
    assert.deepEqual(lb, la);
  });

  it('the model file and the exported ONNX model give the same logits', async () => {
    const ds = synthStreetDataset({ seed: 7, count: 2, width: 64, height: 48 });
    const m1 = await openModel(path.join(root, 'a', 'model.ckpt'), { threads: 1 });
    const m2 = await openModel(path.join(root, 'a', 'model.onnx'), { threads: 1 });
    assert.deepEqual(m2.normalize, m1.normalize);
    const x = toBatch([await ds.readImage(0)], m1.normalize);
    const [z1, z2] = [await m1.logits(x), await m2.logits(x)];
    assert.deepEqual(z1.shape, [1, 11, 48, 64]);
    let maxDiff = 0;
    for (let i = 0; i < z1.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs((z1.data[i] as number) - (z2.data[i] as number)));
    assert.ok(maxDiff < 1e-4, `max |Δlogit| = ${maxDiff}`);
    const spec = (await loadSegModel(path.join(root, 'a', 'model.ckpt'))).meta.spec;
    assert.equal(spec.numClasses, 11);
    await m1.close();
    await m2.close();
  });

  it('names an unknown or ill-typed config field', () => {
    assert.throws(() => validateSourceConfig({ model: { baseWidht: 8 } }, 'x.json'), /model\.baseWidht.*unknown field.*x\.json/);
    assert.throws(() => validateSourceConfig({ batch: '8' }), /'batch'.*expected a finite number/);
    assert.throws(() => validateSourceConfig({ optimizer: { kind: 'adam' } }), /optimizer\.kind.*sgd \| adamw/);
    assert.throws(() => validateSourceConfig({ model: { aspp: '1,x' } }), /model\.aspp/);
  });

  it('rejects a model whose class count or input size does not fit the dataset', async () => {
    const ds = synthStreetDataset({ seed: 7, count: 1, width: 64, height: 48 });
    const m = await openModel(path.join(root, 'a', 'model.onnx'), { threads: 1 });
    await assert.rejects(evaluatePredictor(m.predict, ds, { normalize: m.normalize, numClasses: 19 }), /predicts 19 classes.*camvid11 with 11 classes/);
    const small = synthStreetDataset({ seed: 7, count: 1, width: 32, height: 32 });
    await assert.rejects(evaluatePredictor(m.predict, small, { normalize: m.normalize, numClasses: m.numClasses, inputSize: m.inputSize }), /input size is 64x48 but .* is 32x32.*resize/);
    const ok = await evaluatePredictor(m.predict, small, { normalize: m.normalize, numClasses: m.numClasses, inputSize: m.inputSize, resize: [64, 48] });
    assert.equal(ok.result.images, 1);
    await m.close();
  });
});
