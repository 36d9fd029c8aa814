/**
 * The train-source / evaluate / predict commands: --help, and bad input (an unknown or
 * ill-typed config field, a model whose class count or input size does not fit the data)
 * gives one clear error line and exit code 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePng } from '../../lib/data/io/image.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { MODEL_FORMAT, saveSegModel, IMAGENET_NORMALIZATION, type ModelMeta } from '../../lib/model/model-file.js';
import { exportSegOnnx } from '../../lib/model/seg-net.js';

const node = (script: string, args: string[]) => spawnSync(process.execPath, [`dist/cli/${script}.js`, ...args], { encoding: 'utf8', timeout: 60000 });

async function tinyModel(dir: string, numClasses: number): Promise<string> {
  const spec = smallDeepLabSpec({ widths: [4, 4, 8, 8], stemWidth: 4, numClasses, bn: 'train', asppDilations: [1] });
  const { g } = createDeepLab(spec, 1, 33, 33);
  const classes = Array.from({ length: numClasses }, (_, i) => `c${i}`);
  const meta: ModelMeta = { format: MODEL_FORMAT, version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: numClasses === 11 ? 'camvid11' : 'custom', classes, inputSize: [48, 32] as const };
  const file = path.join(dir, `tiny${numClasses}.ckpt`);
  await saveSegModel(file, { meta, tensors: g.graph.initializers });
  await exportSegOnnx(path.join(dir, `tiny${numClasses}.onnx`), g.graph.initializers, meta);
  return file;
}

describe('train/CLIs', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));

  it('print readable --help', () => {
    for (const s of ['train-source', 'evaluate', 'predict']) {
      const r = node(s, ['--help']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Usage:/);
      assert.match(r.stdout, /--model|--config/);
    }
  });

  it('train-source: an unknown or ill-typed config field is named', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ iterations: 2, optimizer: { lrr: 0.1 } }));
    let r = node('train-source', ['--config', bad, '--out', path.join(dir, 'run-bad')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: config field 'optimizer\.lrr': unknown field/);
    assert.doesNotMatch(r.stderr, /    at /);
    fs.writeFileSync(bad, JSON.stringify({ batch: 'eight' }));
    r = node('train-source', ['--config', bad, '--out', path.join(dir, 'run-bad')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config field 'batch': expected a finite number/);
  });

  it('evaluate: a model with the wrong class count or input size is a clear error', async () => {
    const m5 = await tinyModel(dir, 5);
    let r = node('evaluate', ['--model', m5, '--synth-count', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: the model predicts 5 classes but dataset synthstreet\/source\/s1001 uses protocol camvid11 with 11 classes/);
    const m11 = await tinyModel(dir, 11);
    r = node('evaluate', ['--model', m11.replace(/\.ckpt$/, '.onnx'), '--synth-count', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: the model's input size is 48x32 but .* is 240x180: pass a resize policy of 48x32/);
    r = node('evaluate', ['--model', m11.replace(/\.ckpt$/, '.onnx'), '--synth-count', '2', '--resize', '48x32', '--json', path.join(dir, 'ev.json')]);
    assert.equal(r.status, 0, r.stderr);
    const ev = JSON.parse(fs.readFileSync(path.join(dir, 'ev.json'), 'utf8')) as { mIoU: number; dataset: string };
    assert.equal(ev.dataset, 'synthstreet/source/s1001');
    assert.ok(ev.mIoU >= 0 && ev.mIoU <= 1);
  });

  it('predict: writes a label PNG and an overlay per image', async () => {
    const m11 = await tinyModel(dir, 11);
    const imgs = path.join(dir, 'imgs');
    fs.mkdirSync(imgs);
    const data = new Uint8Array(40 * 30 * 3).map((_, i) => (i * 7) % 256);
    await writePng(path.join(imgs, 'a.png'), { width: 40, height: 30, channels: 3, data });
    await writePng(path.join(imgs, 'b.png'), { width: 40, height: 30, channels: 3, data: data.map((v) => 255 - v) });
    const out = path.join(dir, 'preds');
    const r = node('predict', ['--model', m11, '--images', imgs, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(out).sort(), ['a.png', 'a_overlay.png', 'b.png', 'b_overlay.png']);
    const r2 = node('predict', ['--model', m11.replace(/\.ckpt$/, '.onnx'), '--images', imgs, '--out', out]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /a\.png is 40x30 but the model's input size is 48x32: pass --resize 48x32/);
  });
});
