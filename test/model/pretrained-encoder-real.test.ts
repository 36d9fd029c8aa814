/**
 * The real pretrained encoder: nsfwjs@4.4.0 as cli/fetch-encoder.js caches it
 * (.cache/encoders/nsfwjs-4.4.0.tgz). Skipped, saying so, when the tarball is not there (CI,
 * fresh clones: it is downloaded at set-up time and never committed). With it: the pinned
 * integrity, the Keras model's 266 uint8 weights, the conversion (255 encoder tensors,
 * 1,843,264 values = Keras MobileNetV2 without Conv_1), the rebuilt classifier on CamVid
 * frames (../shared/data/camvid, when present) against TensorFlow.js running the package's own
 * model (when .cache/tfjs holds it), the BN statistics' fit of [0, 1] inputs, and the cached
 * encoder-initialisation file (when made) against a fresh conversion.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadEncoderInit } from '../../lib/model/encoder-init.js';
import { bnStatistics, classifierOutputs, compareOutputs, loadImages, summariseBn, tfjsReference, toNhwc } from '../../lib/model/encoder-verify.js';
import { kerasDenseHead, loadNsfwjsModel, NSFWJS, nsfwjsEncoderInit, type NsfwjsModel } from '../../lib/model/nsfwjs-package.js';

const TGZ = `.cache/encoders/${NSFWJS.package}-${NSFWJS.version}.tgz`;
const INIT = `.cache/encoders/mobilenetv2-${NSFWJS.package}-${NSFWJS.version}.ckpt`;
const TFJS = '.cache/tfjs';
const CAMVID = '../shared/data/camvid/val/images';

describe(`pretrained encoder: the real ${NSFWJS.package}@${NSFWJS.version}`, function () {
  this.timeout(600000);
  let m: NsfwjsModel | undefined;
  const frames = () => fs.readdirSync(CAMVID).filter((f) => f.endsWith('.png')).sort().filter((_, i) => i % 30 === 0).slice(0, 2).map((f) => path.join(CAMVID, f));

  before(function () {
    if (!fs.existsSync(TGZ)) {
      console.log(`      (skipped: ${TGZ} is not there; run node dist/cli/fetch-encoder.js to fetch ${NSFWJS.package}@${NSFWJS.version})`);
      this.skip();
    }
    m = loadNsfwjsModel(new Uint8Array(fs.readFileSync(TGZ)), TGZ);
  });

  it('pinned integrity; 266 uint8-quantised Keras weights; 255 encoder tensors with Keras MobileNetV2\'s 1,843,264 values', () => {
    assert.equal(m!.integrity, NSFWJS.integrity);
    assert.equal(m!.model.weights.size, 266);
    assert.ok([...m!.model.weights.values()].every((w) => w.stored === 'uint8'));
    assert.match(m!.licenseText, /MIT License/);
    const init = nsfwjsEncoderInit(m!, 'x');
    assert.equal(init.tensors.size, 255);
    assert.equal([...init.tensors.values()].reduce((a, t) => a + t.data.length, 0), 1843264);
    assert.deepEqual(kerasDenseHead(m!.model.json.modelTopology, 'x').map((h) => h.activation), ['relu', 'relu', 'softmax']);
  });

  it('the rebuilt classifier calls CamVid frames Neutral; with TF.js installed, it reproduces the package\'s own outputs', async function () {
    if (!fs.existsSync(CAMVID)) this.skip();
    const files = frames();
    const n = files.length;
    const x = toNhwc(await loadImages(files, 224, 224), 1 / 255, 0);
    const head = kerasDenseHead(m!.model.json.modelTopology, 'x');
    const ours = await classifierOutputs(m!.model, head, x, n, 224, 'x');
    for (let i = 0; i < n; i++) {
      const p = Array.from(ours.probs.subarray(i * 5, i * 5 + 5));
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(NSFWJS.classes[p.indexOf(Math.max(...p))], 'Neutral', `${files[i]}: ${p.map((v) => v.toFixed(3)).join(' ')}`);
    }
    if (!fs.existsSync(path.join(TFJS, 'node_modules', '@tensorflow', 'tfjs-layers'))) {
      console.log(`      (TF.js comparison skipped: install it with npm install --prefix ${TFJS} @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-layers@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0)`);
      return;
    }
    const c = compareOutputs(ours, await tfjsReference(m!.model, x, n, 224, TFJS), n);
    assert.equal(c.top1Agree, n);
    assert.ok(c.maxProbDiff <= 1e-4, `max |Δp| ${c.maxProbDiff}`);
    assert.ok(c.block16RelErr <= 1e-4 && c.outReluRelErr <= 1e-4, `encoder output ${c.block16RelErr}, out_relu ${c.outReluRelErr}`);
  });

  it('its BN running statistics fit inputs in [0, 1] (nsfwjs\' v/255) better than [−1, 1]', async function () {
    if (!fs.existsSync(CAMVID)) this.skip();
    const imgs = await loadImages(frames(), 240, 180);
    const init = nsfwjsEncoderInit(m!, 'x');
    const early = (l: string) => !/^encoder\.blocks\.(1[1-6])\./.test(l);
    const unit = summariseBn(await bnStatistics(init.tensors, imgs, { mean: [0, 0, 0], std: [1, 1, 1] }, 1e-3), early);
    const signed = summariseBn(await bnStatistics(init.tensors, imgs, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, 1e-3), early);
    assert.ok(Math.abs(unit.std - 1) < Math.abs(signed.std - 1) && unit.absMean < signed.absMean, `[0,1]: ${JSON.stringify(unit)}; [-1,1]: ${JSON.stringify(signed)}`);
    assert.deepEqual(init.meta.normalize, { mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it('the cached encoder-initialisation file equals a fresh conversion and records its provenance', async function () {
    if (!fs.existsSync(INIT)) this.skip();
    const file = await loadEncoderInit(INIT);
    const fresh = nsfwjsEncoderInit(m!, 'x');
    assert.deepEqual([...file.tensors.keys()].sort(), [...fresh.tensors.keys()].sort());
    for (const [k, t] of fresh.tensors) assert.deepEqual(file.tensors.get(k)!.data, t.data, k);
    const p = file.meta.provenance as Record<string, unknown>;
    assert.equal(p['package'], NSFWJS.package);
    assert.equal(p['version'], NSFWJS.version);
    assert.equal(p['integrity'], NSFWJS.integrity);
    assert.equal(p['license'], 'MIT');
    assert.match(String(p['description']), /NSFW classifier fine-tuned from ImageNet.*uint8-quantised/);
  });
});
