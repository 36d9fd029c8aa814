/**
 * The MobileNetV2 DeepLab-v3+ style network (lib/engine/models/mobilenetv2.ts):
 *
 * - against PyTorch float64 autograd (tools/pytorch/mobilenet.py, fixtures
 *   test/fixtures/nets/mnv2_{frozen,train}.json written by tools/pytorch/net_fixtures.py
 *   --only mnv2): the weighted CE loss on the upsampled logits, the logits, the features and
 *   every trainable parameter's gradient (and, in train mode, every updated running statistic)
 *   within 1e-4 relative (summaries as in models.test.ts). Frozen case: width 1.0, output
 *   stride 16; train case: width 0.75, output stride 8, narrow head. Input 2×3×40×56 (odd
 *   feature sizes: 3×4 at OS16).
 *   Train-mode BN makes this network's gradients ill-conditioned at a random init (an
 *   activation crossing a ReLU6 kink changes the gradient of its whole BN channel; deep
 *   channels hold few values), so float32 precision alone can move some gradients by more than
 *   1e-4: the fixture records, per tensor, that instability (PyTorch float32, and float64 on
 *   weights perturbed by 1e-7), and a gradient is held to max(1e-4, 2 × its instability).
 *   Every frozen-mode tensor and the forward values are held to 1e-4 flat. Gradients that are
 *   exactly zero in exact arithmetic (a BN bias whose every path ends in a train-mode BN) must
 *   be below 1e-5 of the largest gradient's norm.
 * - structure: the Keras MobileNetV2 channel plan and parameter count, the output stride plan,
 *   the SegModel contract (features at the logits' resolution, param groups, BN updates),
 *   spec validation errors, and that ResNet specs do not change.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  countValues, createDeepLab, makeDivisible, mobileNetV2DeepLabSpec, mobileNetV2Plan, smallDeepLabSpec, validateDeepLabSpec,
} from '../../lib/engine/models/index.js';
import { buildCase, netCase, summary, summaryError, type Summary } from '../../bench/nets/net-case.js';
import { assertInitialWeights, runNetCase } from './net-fixture-run.js';

interface NetFixture {
  case: string; spec: unknown; batch: number[]; param_sums: Record<string, number>;
  loss: number; logits: Summary; features: Summary; grads: Record<string, Summary>; running: Record<string, Summary>;
  /** Per tensor: how far float32 precision alone moves PyTorch's float64 gradient (net_fixtures.py conditioning()). */
  conditioning: { instability: Record<string, number>; zero_grads: string[] };
}

const TOL = 1e-4;

describe('MobileNetV2 DeepLab: loss and every parameter gradient vs PyTorch float64', () => {
  for (const name of ['mnv2_frozen', 'mnv2_train']) {
    const train = name.endsWith('train');
    it(`${name}: loss, logits, features, ${train ? 'running stats, ' : ''}all gradients within ${TOL} relative${train ? ' (or 2× their float32 instability)' : ''}`, async () => {
      const fx = JSON.parse(fs.readFileSync(`test/fixtures/nets/${name}.json`, 'utf8')) as NetFixture;
      const c = netCase(name);
      assert.deepEqual(c.spec, fx.spec, 'the case changed since the fixture was written: rerun python3 tools/pytorch/net_fixtures.py --only mnv2');
      const { g, model, batch } = buildCase(c);
      assertInitialWeights(g, model, fx.param_sums);
      assert.deepEqual(Object.keys(fx.param_sums), model.params.all.map((p) => p.name), 'parameter names and order = the PyTorch state dict');
      const { val, loss: lossName, grads } = await runNetCase(g, model, batch);

      const loss = val(lossName)[0]!;
      assert.deepEqual(Object.keys(fx.grads).sort(), [...model.params.trainable].sort());
      const zero = new Set(fx.conditioning.zero_grads);
      const maxNorm = Math.max(...model.params.trainable.map((p) => summary(val(grads.get(p)!)).l2));
      // [name, error, tolerance]
      const errs: [string, number, number][] = [
        ['loss', Math.abs(loss - fx.loss) / Math.abs(fx.loss), TOL],
        ['logits', summaryError(summary(val(model.logits)), fx.logits), TOL],
        ['features', summaryError(summary(val(model.features)), fx.features), TOL],
      ];
      for (const p of model.params.trainable) {
        const got = summary(val(grads.get(p)!));
        if (zero.has(p)) errs.push([`d ${p} (zero in exact arithmetic)`, got.l2 / maxNorm, 1e-5]);
        else errs.push([`d ${p}`, summaryError(got, fx.grads[p]!), Math.max(TOL, 2 * (fx.conditioning.instability[p] ?? Infinity))]);
      }
      for (const u of model.bnUpdates) {
        errs.push([u.mean, summaryError(summary(val(u.newMean)), fx.running[u.mean]!), TOL]);
        errs.push([u.var, summaryError(summary(val(u.newVar)), fx.running[u.var]!), TOL]);
      }
      const bad = errs.filter(([, e, tol]) => !(e <= tol));
      assert.deepEqual(bad.map(([n, e, tol]) => `${n}: ${e.toExponential(2)} > ${tol.toExponential(1)}`), []);
      const atTol = errs.filter(([, e]) => e <= TOL).length;
      assert.ok(errs.length >= (name.endsWith('train') ? 300 : 70), `only ${errs.length} tensors compared`);
      if (!train) assert.equal(atTol, errs.length, 'frozen BN: every tensor within 1e-4');
      if (process.env['MNV2_TEST_VERBOSE']) console.log(`${name}: ${atTol}/${errs.length} within ${TOL}; worst ${errs.reduce((a, b) => (b[1] > a[1] ? b : a)).slice(0, 2).join(' ')}`);
    });
  }
});

describe('MobileNetV2 DeepLab: structure', () => {
  it('width 1.0 has Keras MobileNetV2\'s channels and its parameter count (without Conv_1: 1,843,264)', () => {
    const plan = mobileNetV2Plan(1, 32);
    assert.equal(plan.stem, 32);
    assert.deepEqual(plan.blocks.map((b) => b.outChannels), [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320]);
    assert.deepEqual(plan.blocks.map((b) => b.stride), [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]);
    assert.deepEqual(plan.blocks.filter((b) => b.residual).map((b) => b.index), [2, 4, 5, 7, 8, 9, 11, 12, 14, 15]);
    const { model } = createDeepLab(mobileNetV2DeepLabSpec(), 1, 64, 64);
    assert.equal(countValues(model.params.all.filter((p) => p.group === 'backbone')), 1843264);
    assert.ok(model.params.all.filter((p) => p.group === 'backbone').every((p) => p.name.startsWith('encoder.')));
    assert.equal(makeDivisible(18), 24); // 16 < 0.9·18: one step up, as Keras
    assert.equal(makeDivisible(32 * 0.35), 16);
  });

  it('output stride 16 / 8: stride-1 block with the current dilation, then doubled dilations', () => {
    const d16 = mobileNetV2Plan(1, 16).blocks;
    assert.deepEqual(d16.map((b) => b.stride), [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(d16.map((b) => b.dilation), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2]);
    const d8 = mobileNetV2Plan(1, 8).blocks;
    assert.deepEqual(d8.map((b) => b.dilation), [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 4, 4, 4]);
    assert.ok(!d8[13]!.residual && d8[13]!.stride === 1);
  });

  it('the SegModel contract at 240×180: logits and features at stride 4, groups, BN updates in train mode', () => {
    const { g, model } = createDeepLab(mobileNetV2DeepLabSpec({ bn: 'train', upsampleLogits: true }), 2, 180, 240);
    assert.deepEqual(g.shape(model.logits), [2, 11, 45, 60]);
    assert.deepEqual(g.shape(model.features), [2, 128, 45, 60]);
    assert.deepEqual(g.shape(model.logitsFull!), [2, 11, 180, 240]);
    assert.equal(model.featureChannels, 128);
    assert.ok(model.params.head.includes('classifier.weight') && model.params.head.includes('aspp.pool.bias'));
    assert.ok(model.params.backbone.includes('encoder.blocks.16.project_bn.weight'));
    const bnCount = model.params.all.filter((p) => p.role === 'bn_weight').length;
    assert.equal(model.bnUpdates.length, bnCount);
    const frozen = createDeepLab(mobileNetV2DeepLabSpec(), 1, 64, 64).model;
    assert.equal(frozen.bnUpdates.length, 0);
    assert.ok(frozen.params.trainable.every((n) => !/_bn\.|\.bn\d?\./.test(n)), 'frozen BN affine parameters are not trainable');
  });

  it('spec validation: encoder and mobilenetv2 fields, clear errors; ResNet specs carry neither field', () => {
    const r = smallDeepLabSpec();
    assert.ok(!('encoder' in r) && !('mobilenetv2' in r));
    assert.deepEqual(validateDeepLabSpec({ ...r, encoder: 'resnet' }), r);
    const m = mobileNetV2DeepLabSpec();
    assert.deepEqual(validateDeepLabSpec(JSON.parse(JSON.stringify(m))), m, 'a saved spec validates to itself');
    assert.equal(m.encoder, 'mobilenetv2');
    assert.equal(m.bnEps, 1e-3);
    assert.throws(() => validateDeepLabSpec({ encoder: 'vgg' }), /deeplab\.encoder must be one of "resnet", "mobilenetv2"/);
    assert.throws(() => validateDeepLabSpec({ mobilenetv2: { widthMult: 1 } }), /deeplab\.mobilenetv2 is only valid with encoder 'mobilenetv2'/);
    assert.throws(() => validateDeepLabSpec({ encoder: 'mobilenetv2', mobilenetv2: { widthMult: 0 } }), /deeplab\.mobilenetv2\.widthMult must be a number in \(0, 4\]/);
    assert.throws(() => validateDeepLabSpec({ encoder: 'mobilenetv2', mobilenetv2: { decoderChanels: 8 } }), /deeplab\.mobilenetv2\.decoderChanels is not a known field/);
    assert.throws(() => createDeepLab(m, 1, 64, 64, 'x', { foldFrozenBn: true }), /foldFrozenBn is not supported/);
  });
});
