/**
 * predict on a folder with unreadable files (a truncated PNG, a .jpg of garbage bytes): each
 * bad file is named on stderr with the reason, every good image is still predicted, and the
 * exit status is 3 (some images could not be read), not 1 (a usage or input error).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePng } from '../../lib/data/io/image.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, MODEL_FORMAT, saveSegModel, type ModelMeta } from '../../lib/model/model-file.js';

/** A tiny 11-class (CamVid protocol) model checkpoint: fast enough for a CLI test. */
async function tinyModel(dir: string): Promise<string> {
  const spec = smallDeepLabSpec({ widths: [4, 4, 8, 8], stemWidth: 4, numClasses: 11, bn: 'train', asppDilations: [1] });
  const { g } = createDeepLab(spec, 1, 33, 33);
  const classes = Array.from({ length: 11 }, (_, i) => `c${i}`);
  const meta: ModelMeta = { format: MODEL_FORMAT, version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes, inputSize: [48, 32] as const };
  const file = path.join(dir, 'tiny11.ckpt');
  await saveSegModel(file, { meta, tensors: g.graph.initializers });
  return file;
}

describe('cli/predict with unreadable images', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predict-bad-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names each bad file, predicts all the others, exits 3', async () => {
    const model = await tinyModel(dir);
    const imgs = path.join(dir, 'imgs');
    fs.mkdirSync(imgs);
    const data = new Uint8Array(40 * 30 * 3).map((_, i) => (i * 7) % 256);
    await writePng(path.join(imgs, 'b.png'), { width: 40, height: 30, channels: 3, data });
    await writePng(path.join(imgs, 'd.png'), { width: 40, height: 30, channels: 3, data: data.map((v) => 255 - v) });
    // sorted first, so a command that stops at the first bad file would predict nothing
    const full = fs.readFileSync(path.join(imgs, 'b.png'));
    fs.writeFileSync(path.join(imgs, 'a_truncated.png'), full.subarray(0, Math.floor(full.length / 2)));
    fs.writeFileSync(path.join(imgs, 'c_garbage.jpg'), Buffer.from('this is not a JPEG at all, just some bytes\n'.repeat(20)));
    const out = path.join(dir, 'preds');
    const r = spawnSync(process.execPath, ['dist/cli/predict.js', '--model', model, '--images', imgs, '--out', out], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 3, `exit status\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, /a_truncated\.png: corrupt or truncated image/);
    assert.match(r.stderr, /c_garbage\.jpg: not a supported image file/);
    assert.match(r.stderr, /2 of 4 images could not be read \(a_truncated\.png, c_garbage\.jpg\)/);
    assert.doesNotMatch(r.stderr, /    at /, 'no stack trace');
    assert.deepEqual(fs.readdirSync(out).sort(), ['b.png', 'b_overlay.png', 'd.png', 'd_overlay.png']);
    assert.match(r.stdout, /wrote 2 label maps and overlays/);
  });
});
