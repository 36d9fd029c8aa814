/**
 * Model builders: PyTorch state-dict names/shapes/order against the PyTorch mirror
 * (test/fixtures/nets/state_dicts.json, tools/pytorch/net_fixtures.py), parameter counts against
 * torchvision's published totals, trainable/frozen/head splits, seeded init, spec validation
 * and the metric head.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import {
  buildMetricHead, countValues, createDeepLab, deeplabV2Spec, metricHeadSpec, smallDeepLabSpec,
  validateDeepLabSpec, validateMetricHeadSpec, type DeepLabSpec,
} from '../../lib/engine/models/index.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { Rng } from '../../lib/data/rng.js';

interface SdEntry { spec: DeepLabSpec; state_dict: [string, number[]][]; input?: number[]; logits?: number[]; features?: number[] }
const sd = JSON.parse(fs.readFileSync('test/fixtures/nets/state_dicts.json', 'utf8')) as Record<string, SdEntry>;

const PRESETS: Record<string, DeepLabSpec> = {
  deeplabv2_r101: deeplabV2Spec(),
  deeplabv2_r50: deeplabV2Spec({ depth: 50 }),
  small_default: smallDeepLabSpec(),
};

/** torchvision published parameter totals minus the ImageNet fc layer (fc: F·1000 + 1000). */
const TORCHVISION_BACKBONE = { deeplabv2_r101: 44_549_160 - 2_049_000, deeplabv2_r50: 25_557_032 - 2_049_000, small_default: 11_689_512 - 513_000 };

describe('models: structure and naming', () => {
  const built = new Map<string, ReturnType<typeof createDeepLab>>();
  const get = (k: string) => {
    if (!built.has(k)) {
      const e = sd[k]!;
      const [n, , h, w] = e.input ?? [1, 3, 65, 65];
      built.set(k, createDeepLab(PRESETS[k]!, n!, h!, w!));
    }
    return built.get(k)!;
  };

  for (const key of Object.keys(PRESETS)) {
    it(`${key}: preset equals the PyTorch mirror's spec; state-dict names, shapes and order match`, () => {
      assert.deepEqual(PRESETS[key], sd[key]!.spec);
      const { model } = get(key);
      assert.deepEqual(model.params.all.map((p) => [p.name, [...p.shape]]), sd[key]!.state_dict);
    });

    it(`${key}: backbone parameter count equals torchvision's published total without fc`, () => {
      const { model } = get(key);
      const bb = model.params.all.filter((p) => p.group === 'backbone' && !p.role.startsWith('bn_running'));
      assert.equal(countValues(bb), TORCHVISION_BACKBONE[key as keyof typeof TORCHVISION_BACKBONE]);
    });

    if (sd[key]!.logits) {
      it(`${key}: logits and feature shapes equal PyTorch's at ${sd[key]!.input!.join('×')}`, () => {
        const { g, model } = get(key);
        assert.deepEqual(g.shape(model.logits), sd[key]!.logits);
        assert.deepEqual(g.shape(model.features), sd[key]!.features);
      });
    }
  }

  it('DeepLab-v2 ResNet-101 at 512×1024: output stride 8 (65×129), frozen BN, head = ASPP only', () => {
    const { g, model } = get('deeplabv2_r101');
    assert.deepEqual(g.shape(model.logits), [1, 19, 65, 129]);
    assert.deepEqual(model.params.head, [0, 1, 2, 3].flatMap((i) => [`classifier.conv2d_list.${i}.weight`, `classifier.conv2d_list.${i}.bias`]));
    assert.ok(model.params.trainable.every((n) => !/\.bn\d|^bn1|downsample\.1/.test(n)), 'frozen BN must not be trainable');
    assert.equal(model.bnUpdates.length, 0);
    const conv = model.params.all.filter((p) => p.role === 'conv_weight' && p.group === 'backbone');
    assert.deepEqual(model.params.backbone, conv.map((p) => p.name));
  });

  it('train-mode BN: γ/β trainable, running statistics frozen, one stat update per BN', () => {
    const { model } = createDeepLab(smallDeepLabSpec({ bn: 'train', widths: [8, 8, 8, 8], stemWidth: 8 }), 1, 32, 32);
    const bnW = model.params.all.filter((p) => p.role === 'bn_weight');
    assert.ok(bnW.length > 0 && bnW.every((p) => p.trainable));
    assert.ok(model.params.all.filter((p) => p.role.startsWith('bn_running')).every((p) => !p.trainable));
    assert.equal(model.bnUpdates.length, bnW.length);
    assert.equal(model.bnUpdates[0]!.mean, 'bn1.running_mean');
  });

  it('seeded init: deterministic, seed-dependent, Kaiming normal fan_out, BN γ=1 β=0, ASPP N(0, 0.01²)', () => {
    const spec = smallDeepLabSpec({ widths: [16, 32, 64, 128], stemWidth: 16 });
    const a = createDeepLab(spec, 1, 32, 32).g.graph.initializers;
    const b = createDeepLab(spec, 1, 32, 32).g.graph.initializers;
    const c = createDeepLab({ ...spec, seed: 1 }, 1, 32, 32).g.graph.initializers;
    const w = 'layer4.1.conv2.weight';
    assert.deepEqual(a.get(w)!.data, b.get(w)!.data);
    assert.notDeepEqual(a.get(w)!.data, c.get(w)!.data);
    const std = (x: ArrayLike<number>) => { let s = 0, q = 0; for (let i = 0; i < x.length; i++) { s += x[i]!; q += x[i]! * x[i]!; } const m = s / x.length; return Math.sqrt(q / x.length - m * m); };
    const expect = Math.sqrt(2 / (128 * 9));
    assert.ok(Math.abs(std(a.get(w)!.data as Float32Array) / expect - 1) < 0.02, 'Kaiming fan_out std');
    assert.ok(Math.abs(std(a.get('classifier.conv2d_list.0.weight')!.data as Float32Array) / 0.01 - 1) < 0.05);
    assert.ok((a.get('layer2.0.bn1.weight')!.data as Float32Array).every((v) => v === 1));
    assert.ok((a.get('layer2.0.bn1.bias')!.data as Float32Array).every((v) => v === 0));
  });

  it('a bad spec is an error naming the field', () => {
    assert.throws(() => validateDeepLabSpec({ layers: [2, 2, 0, 2] }), /deeplab\.layers\[2\] must be an integer ≥ 1/);
    assert.throws(() => validateDeepLabSpec({ bn: 'batch' }), /deeplab\.bn must be one of "frozen", "train"/);
    assert.throws(() => validateDeepLabSpec({ outputStride: 4 }), /deeplab\.outputStride/);
    assert.throws(() => validateDeepLabSpec({ asppDilations: [] }), /deeplab\.asppDilations must be a non-empty array/);
    assert.throws(() => validateDeepLabSpec({ asppDilations: [6, 1.5] }), /deeplab\.asppDilations\[1\]/);
    assert.throws(() => validateDeepLabSpec({ widhts: [1, 2, 3, 4] }), /deeplab\.widhts is not a known field/);
    assert.throws(() => validateDeepLabSpec({ headName: '' }), /deeplab\.headName/);
    assert.throws(() => validateMetricHeadSpec({ inChannels: 8, hidden: 0, embedDim: 4, bn: 'train', bnEps: 1e-5, bnMomentum: 0.1, prefix: 'm', normEps: 1e-12, seed: 0 }), /metric\.hidden must be a positive integer/);
    const g = new GraphBuilder('bad');
    const f = g.input('f', 'float32', [1, 8, 4, 4]);
    assert.throws(() => buildMetricHead(g, f, metricHeadSpec({ inChannels: 4 })), /features 'f' have shape \[1,8,4,4\], expected \[N,4,h,w\]/);
  });

  it('metric head: names, shapes and unit L2 norm per pixel (run on onnxruntime)', async () => {
    const g = new GraphBuilder('metric');
    const f = g.input('f', 'float32', [2, 24, 3, 5]);
    const head = buildMetricHead(g, f, metricHeadSpec({ inChannels: 24, hidden: 32, embedDim: 16 }));
    assert.deepEqual(head.params.trainable, ['metric.conv1.weight', 'metric.bn1.weight', 'metric.bn1.bias', 'metric.conv2.weight', 'metric.conv2.bias']);
    assert.deepEqual(g.shape(head.embedding), [2, 16, 3, 5]);
    g.output(head.embedding);
    const r = new Rng(5);
    const x = Float32Array.from({ length: 2 * 24 * 15 }, () => r.normal());
    const out = await runGraph(g.graph, { f: tensor('float32', [2, 24, 3, 5], x) });
    const e = out[head.embedding]!.data as Float32Array;
    for (let b = 0; b < 2; b++) for (let p = 0; p < 15; p++) {
      let s = 0;
      for (let c = 0; c < 16; c++) s += e[(b * 16 + c) * 15 + p]! ** 2;
      assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-5, `pixel ${b},${p}: |e| = ${Math.sqrt(s)}`);
    }
  });
});
