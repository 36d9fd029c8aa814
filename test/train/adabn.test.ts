/**
 * AdaBN against PyTorch (test/fixtures/train/adabn.json, tools/pytorch/adabn_fixture.py): a
 * tiny DeepLab, 6 target images in batches of 2; every BN's re-estimated running mean and
 * variance must match PyTorch's momentum=None cumulative average in train mode, and no other
 * tensor may change.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { UnlabelledDataset } from '../../lib/data/datasets/types.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { validateDeepLabSpec } from '../../lib/engine/models/spec.js';
import { adaBN, AdaBNAlgorithm } from '../../lib/method/baselines/adabn.js';
import { IMAGENET_NORMALIZATION, MODEL_FORMAT, type SegModelFile } from '../../lib/model/model-file.js';

interface Fixture {
  spec: unknown; batch: number; height: number; width: number;
  weights: Record<string, { shape: number[]; data: number[] }>;
  images: number[];
  running: Record<string, number[]>;
}

const fx = JSON.parse(fs.readFileSync('test/fixtures/train/adabn.json', 'utf8')) as Fixture;
const spec = validateDeepLabSpec(fx.spec);

function model(): SegModelFile {
  const tensors = new Map<string, TensorData>(Object.entries(fx.weights).map(([k, v]) => [k, tensor('float32', v.shape, v.data)]));
  return {
    meta: { format: MODEL_FORMAT, version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'test3', classes: ['a', 'b', 'c'], inputSize: [fx.width, fx.height] },
    tensors,
  };
}

function target(): UnlabelledDataset {
  const n = fx.height * fx.width * 3;
  const count = fx.images.length / n;
  return {
    labelled: false, id: 'fixture', size: count, name: (i) => `img${i}`,
    readImage: async (i) => ({ width: fx.width, height: fx.height, channels: 3, data: Uint8Array.from(fx.images.slice(i * n, (i + 1) * n)) }),
  };
}

describe('method/AdaBN', function () {
  this.timeout(60000);

  it('re-estimates every BN running mean/var as PyTorch momentum=None does, nothing else changes', async () => {
    const src = model();
    const out = await adaBN(src, target(), { batch: fx.batch, threads: 1 });
    let checked = 0;
    for (const [name, t] of src.tensors) {
      const got = out.tensors.get(name)!.data as Float32Array;
      const ref = fx.running[name];
      if (ref === undefined) {
        assert.deepEqual(got, t.data, `${name} must not change`);
        continue;
      }
      checked++;
      const scale = Math.max(1e-3, ...ref.map(Math.abs));
      ref.forEach((r, i) => assert.ok(Math.abs(got[i]! - r) <= 1e-4 * scale + 1e-6, `${name}[${i}]: ${got[i]} vs PyTorch ${r}`));
      // the fixture's source statistics differ from the target's, so a no-op would fail
      assert.ok(ref.some((r, i) => Math.abs(r - (t.data as Float32Array)[i]!) > 1e-3), `${name}: fixture must move the statistics`);
    }
    assert.equal(checked, Object.keys(fx.running).length);
    assert.ok(checked >= 20);
  });

  it('as an Algorithm: resuming after one batch gives the same statistics', async () => {
    const a = await AdaBNAlgorithm.create(model(), target(), { batch: fx.batch, threads: 1 });
    await a.step(0);
    const saved = await a.saveState();
    await a.close();
    const b = await AdaBNAlgorithm.create(model(), target(), { batch: fx.batch, threads: 1 });
    await b.loadState(saved);
    for (let t = 1; t < b.iterations; t++) await b.step(t);
    const got = b.adaptedModel().tensors;
    await b.close();
    const name = 'layer4.1.bn2.running_var';
    const ref = fx.running[name]!;
    ref.forEach((r, i) => assert.ok(Math.abs((got.get(name)!.data as Float32Array)[i]! - r) <= 1e-4 * Math.max(1, Math.abs(r))));
  });
});
