/**
 * `adapt --dry-run` (lib/train/dry-run.ts) as a child process of the real command, on tiny fake
 * GTA5 and Cityscapes trees written here (the folder and file naming of
 * lib/data/datasets/layouts/{gta5,cityscapes}.ts, 64×32 PNGs):
 * - the paper config (configs/adapt/gta5-cityscapes.json) pointed at the fake trees with --set,
 *   a tiny 19-class source model and a small crop: exit 0, the plan and the estimate (from
 *   bench/results/engine.json, said to be a CPU figure);
 * - a broken tree (GTA5 without its labels folder, an unreadable Cityscapes image, a missing
 *   source model): exit 1, every problem named at once;
 * - the paper config at its own size without a source model: the ResNet-101 programs compile at
 *   batch 2 × 512×1024 (a few seconds) and the needed model file is named.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePng } from '../../lib/data/io/image.js';
import { writeLabelPng } from '../../lib/data/io/label.js';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, MODEL_FORMAT, saveSegModel } from '../../lib/model/model-file.js';

const W = 64;
const H = 32;
const CONFIG = 'configs/adapt/gta5-cityscapes.json';

function rgb(seed: number): { width: number; height: number; channels: 3; data: Uint8Array } {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17) % 251;
  return { width: W, height: H, channels: 3, data };
}

/** Cityscapes labelIds: road (7) on the lower half, car (26) in a box, sky (23) on top. */
function labelIds(): Uint8Array {
  const d = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = y < H / 3 ? 23 : y >= H / 2 ? 7 : x > 20 && x < 40 ? 26 : 11;
  return d;
}

/** GTA5: images/NNNNN.png, labels/NNNNN.png (palette PNG, indices = Cityscapes labelIds). */
export async function writeFakeGta5(root: string, n: number): Promise<void> {
  fs.mkdirSync(path.join(root, 'images'), { recursive: true });
  fs.mkdirSync(path.join(root, 'labels'), { recursive: true });
  const palette = Array.from({ length: 256 * 3 }, (_, i) => (i * 7) % 256);
  for (let i = 1; i <= n; i++) {
    const key = String(i).padStart(5, '0');
    await writePng(path.join(root, 'images', `${key}.png`), rgb(i));
    await writeLabelPng(path.join(root, 'labels', `${key}.png`), { width: W, height: H, data: labelIds() }, { palette });
  }
}

/** Cityscapes: leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png and gtFine/…_gtFine_labelIds.png. */
export async function writeFakeCityscapes(root: string, perSplit: Record<string, Record<string, number>>): Promise<void> {
  for (const [split, cities] of Object.entries(perSplit)) {
    for (const [city, n] of Object.entries(cities)) {
      const img = path.join(root, 'leftImg8bit', split, city);
      const gt = path.join(root, 'gtFine', split, city);
      fs.mkdirSync(img, { recursive: true });
      fs.mkdirSync(gt, { recursive: true });
      for (let i = 0; i < n; i++) {
        const stem = `${city}_${String(i).padStart(6, '0')}_000019`;
        await writePng(path.join(img, `${stem}_leftImg8bit.png`), rgb(i + split.length));
        await writeLabelPng(path.join(gt, `${stem}_gtFine_labelIds.png`), { width: W, height: H, data: labelIds() });
      }
    }
  }
}

/** A tiny 19-class (cityscapes19) source model file. */
async function writeTinyCityscapesModel(file: string): Promise<void> {
  const spec = smallDeepLabSpec({ widths: [4, 4, 8, 8], stemWidth: 4, numClasses: 19, asppDilations: [1, 2], bn: 'train', seed: 5 });
  const { g } = createDeepLab(spec, 1, 33, 33);
  await saveSegModel(file, {
    meta: { format: MODEL_FORMAT, version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'cityscapes19', classes: PROTOCOLS.cityscapes19.classes, inputSize: [W, H] },
    tensors: new Map(g.graph.initializers),
  });
}

const adapt = (args: string[]) => spawnSync(process.execPath, ['dist/cli/adapt.js', ...args], { encoding: 'utf8', timeout: 110000 });

/** --set for the paper config on the fake trees at a small size. */
const small = (cs: string): string =>
  [`target.root=${cs}`, `eval.root=${cs}`, 'augment.resizeWidth=64', 'augment.resizeHeight=32', 'augment.cropWidth=64', 'augment.cropHeight=32',
    'eval.resizeWidth=64', 'eval.resizeHeight=32', 'runtime.provider=cpu'].join(';');

describe('train/adapt --dry-run (paper scale on paper)', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dry-run-'));
  const good = { gta5: path.join(dir, 'good', 'gta5'), cs: path.join(dir, 'good', 'cityscapes') };
  const bad = { gta5: path.join(dir, 'bad', 'gta5'), cs: path.join(dir, 'bad', 'cityscapes') };
  const model = path.join(dir, 'gta5-tiny.model.ckpt');

  before(async () => {
    await writeFakeGta5(good.gta5, 3);
    await writeFakeCityscapes(good.cs, { train: { aachen: 2, bochum: 2 }, val: { frankfurt: 2 } });
    await writeTinyCityscapesModel(model);
    // broken: GTA5 without labels/, a Cityscapes train image that is not a PNG, a val image without its label
    await writeFakeGta5(bad.gta5, 2);
    fs.rmSync(path.join(bad.gta5, 'labels'), { recursive: true });
    await writeFakeCityscapes(bad.cs, { train: { aachen: 2 }, val: { frankfurt: 2 } });
    fs.writeFileSync(path.join(bad.cs, 'leftImg8bit', 'train', 'aachen', 'aachen_000001_000019_leftImg8bit.png'), 'not a png');
    fs.rmSync(path.join(bad.cs, 'gtFine', 'val', 'frankfurt', 'frankfurt_000001_000019_gtFine_labelIds.png'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes on the fake trees: counts, plan, programs and a CPU estimate from the bench', () => {
    const r = adapt(['--config', CONFIG, '--source', model, '--out', path.join(dir, 'run'), '--dry-run', '--source-data', good.gta5, '--set', small(good.cs)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK — everything the run needs is in place/);
    assert.match(r.stdout, /target\s+cityscapes\/train at .*: 4 images \(labels never opened\); 4 file\(s\) decoded; sizes 64x32 \(4\); 0 problem/);
    assert.match(r.stdout, /eval\s+cityscapes\/val at .*: 2 images \(labelled\); 4 file\(s\) decoded/);
    assert.match(r.stdout, /source-data gta5\/all at .*: 3 images \(labelled\)/);
    assert.match(r.stdout, /student step\s+2x3x32x64/);
    assert.match(r.stdout, /iterations: 40000/);
    assert.match(r.stdout, /checkpoints: 20/);
    assert.match(r.stdout, /no GPU measurement exists; on the CPU of the device host this is/);
    assert.match(r.stdout, /not the paper's DeepLab-v2 ResNet-101/);
    assert.ok(!fs.existsSync(path.join(dir, 'run')), 'a dry run writes nothing');

    const j = adapt(['--config', CONFIG, '--source', model, '--out', path.join(dir, 'run'), '--dry-run', '--json', '--quiet', '--step-ms', '1000', '--set', small(good.cs)]);
    assert.equal(j.status, 0, j.stderr);
    const rep = JSON.parse(j.stdout);
    assert.equal(rep.ok, true);
    assert.equal(rep.estimate.source, 'step-ms');
    assert.equal(rep.estimate.studentMs, 1000);
    // 500 warm-up iterations without a student step, 39 500 with one
    const it = rep.estimate.teacherMs + rep.estimate.metricMs;
    assert.ok(Math.abs(rep.estimate.trainingH - (500 * it + 39500 * (1000 + it)) / 3.6e6) < 1e-6);
  });

  it('fails on a broken tree and names every problem at once', () => {
    const r = adapt(['--config', CONFIG, '--out', path.join(dir, 'run'), '--dry-run', '--source-data', bad.gta5, '--set', `${small(bad.cs)};source=${path.join(dir, 'nope.model.ckpt')}`]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /PROBLEMS \(\d+\)/);
    assert.match(r.stdout, /source model .*nope\.model\.ckpt: file not found; needed: .*DeepLab-v2 ResNet-101.*cityscapes19 \(19 classes\)/);
    assert.match(r.stdout, /target cityscapes\/train: unreadable image: .*aachen_000001_000019_leftImg8bit\.png/);
    assert.match(r.stdout, /eval cityscapes\/val: image without label: .*frankfurt_000001_000019_leftImg8bit\.png/);
    assert.match(r.stdout, /source-data gta5\/all: missing folder \(GTA5 labels\): .*gta5[/\\]labels/);
    // a config field error is named as for a real run
    const c = adapt(['--config', CONFIG, '--dry-run', '--set', 'augment.cropWidht=64']);
    assert.equal(c.status, 1);
    assert.match(c.stderr, /^error: config field 'augment\.cropWidht': unknown field .*\(in configs\/adapt\/gta5-cityscapes\.json\)/);
  });

  it('the paper config at full size without a source model: ResNet-101 compiles, the model file is named', () => {
    const t = Date.now();
    const r = adapt(['--config', CONFIG, '--out', path.join(dir, 'run'), '--dry-run', '--json', '--quiet', '--set', 'target.root=' + good.cs + ';eval.root=' + good.cs]);
    assert.equal(r.status, 1, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.problems.length, 1, rep.problems.join('\n'));
    assert.match(rep.problems[0], /no source model: pass --source/);
    const st = rep.programs.find((p: { name: string }) => p.name === 'student step');
    assert.equal(st.shape, '2x3x512x1024');
    assert.ok(rep.parameters > 40e6 && rep.parameters < 46e6, String(rep.parameters));
    assert.equal(rep.estimate.source, 'bench');
    assert.match(rep.estimate.sourceText, /no GPU measurement exists/);
    assert.ok(rep.estimate.totalH > 100, String(rep.estimate.totalH));
    console.log(`      (ResNet-101 dry run: ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  });
});
