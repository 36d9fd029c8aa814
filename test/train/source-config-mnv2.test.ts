/**
 * Source configs with the MobileNetV2 encoder: configs/source/*-mnv2.json are their ResNet
 * recipes with only the architecture, its init and the input normalisation changed, and the
 * fields added for it leave every older config's record (config.json text, resume check) and
 * hash (recorded in model files) as they were.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { modelSpecOf, sourceConfigHash, sourceConfigRecord, validateSourceConfig } from '../../lib/train/source-config.js';

const read = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, Record<string, unknown>>;

describe('source configs: the MobileNetV2 encoder', () => {
  for (const base of ['synthstreet', 'camvid-day']) {
    it(`configs/source/${base}-mnv2.json = ${base}.json but for the model and the input normalisation`, () => {
      const a = read(`configs/source/${base}.json`), b = read(`configs/source/${base}-mnv2.json`);
      const strip = (c: Record<string, Record<string, unknown>>) => ({ ...c, model: undefined, augment: { ...c['augment'], normalize: undefined } });
      assert.deepEqual(strip(b), strip(a));
      const c = validateSourceConfig(b, `${base}-mnv2.json`);
      assert.equal(c.augment.normalize, 'none');
      assert.equal(c.model.init, '.cache/encoders/mobilenetv2-nsfwjs-4.4.0.ckpt');
      const spec = modelSpecOf(c, 11);
      assert.equal(spec.encoder, 'mobilenetv2');
      assert.deepEqual([spec.outputStride, spec.asppDilations, spec.bn, spec.bnEps, spec.mobilenetv2?.widthMult], [16, [2, 4, 6], 'train', 1e-3, 1]);
    });
  }

  it('older configs keep their record and hash (the gates source model recorded 60b5f847510a22a5)', () => {
    const c = validateSourceConfig(read('configs/source/synthstreet.json'));
    const rec = sourceConfigRecord(c) as { model: Record<string, unknown> };
    assert.deepEqual(Object.keys(rec.model), ['baseWidth', 'stemWidth', 'outputStride', 'aspp', 'bnMomentum', 'initSeed']);
    assert.equal(sourceConfigHash(c), '60b5f847510a22a5');
    const m = validateSourceConfig(read('configs/source/synthstreet-mnv2.json'));
    assert.deepEqual(Object.keys((sourceConfigRecord(m) as { model: Record<string, unknown> }).model).slice(-2), ['arch', 'init']);
    assert.notEqual(sourceConfigHash(m), sourceConfigHash(c));
    assert.throws(() => validateSourceConfig({ model: { arch: 'vgg' } }), /model\.arch.*resnet \| mobilenetv2/);
  });
});
