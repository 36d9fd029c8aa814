/**
 * The adapt command end to end (the CI smoke run): a few STvM iterations of a tiny source
 * model on tiny SynthStreet target frames, through `node dist/cli/adapt.js`; the shipped
 * configs (P0–P2 and paper scale) validate; help and config errors.
 */
import { writeTinySourceModel } from '../helpers/tiny-model.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { IMAGENET_NORMALIZATION } from '../../lib/model/model-file.js';
import { openModel } from '../../lib/model/model-predictor.js';
import { toBatch } from '../../lib/model/to-batch.js';
import { synthStreetDataset } from '../../lib/train/synth-dataset.js';

const run = promisify(execFile);
const CLI = 'dist/cli/adapt.js';

describe('adapt command', function () {
  this.timeout(120000);
  let dir = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stvm-adapt-'));
    await writeTinySourceModel(path.join(dir, 'source.model.ckpt'));
    fs.writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify({
      iterations: 3, batch: 2,
      target: { source: 'synthstreet', style: 'dusk', count: 4, width: 64, height: 48 },
      augment: { cropWidth: 48, cropHeight: 40 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1 },
    }));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a few STvM iterations and writes metrics, checkpoint, teacher/student models, ONNX export and results', async () => {
    const out = path.join(dir, 'run');
    await run('node', [CLI, '--config', path.join(dir, 'tiny.json'), '--source', path.join(dir, 'source.model.ckpt'), '--out', out, '--quiet']);
    for (const f of ['config.json', 'version.json', 'metrics.jsonl', 'teacher.model.ckpt', 'student.model.ckpt', 'model.onnx', 'model.onnx.json', 'results.json', 'checkpoints/latest.json']) {
      assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
    }
    const recs = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const steps = recs.filter((r) => r['kind'] === undefined);
    assert.deepEqual(steps.map((r) => r['step']), [0, 1, 2]);
    assert.equal(steps[0]!['warmup'], 1);
    for (const r of steps.slice(1)) for (const k of ['student_loss', 'metric_loss', 'mean_reliability', 'mixed_fraction', 'ema_alpha', 'ms_teacher', 'ms_metric', 'ms_mocm', 'ms_student', 'ms_ema']) assert.ok(Number.isFinite(r[k]), `${k} in ${JSON.stringify(r)}`);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(res.iterations, 3);
    assert.ok(res.teacher.mIoU >= 0 && res.student.mIoU >= 0);

    // the exported ONNX model (teacher) predicts what the teacher model file predicts
    const ds = synthStreetDataset({ seed: 1001, count: 1, style: 'dusk', width: 64, height: 48 });
    const x = toBatch([await ds.readImage(0)], IMAGENET_NORMALIZATION);
    const ck = await openModel(path.join(out, 'teacher.model.ckpt'), { threads: 1 });
    const ox = await openModel(path.join(out, 'model.onnx'), { threads: 1 });
    try {
      const a = await ck.predict(x), b = await ox.predict(x);
      let same = 0;
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
      assert.ok(same / a.length > 0.999, `ONNX export agrees with the model file on ${same}/${a.length} pixels`);
    } finally {
      await ck.close();
      await ox.close();
    }
  });

  it('--help explains the flags; a bad config field is an error naming the field and the file', async () => {
    const h = await run('node', [CLI, '--help']);
    assert.match(h.stdout, /--config/);
    assert.match(h.stdout, /--source/);
    assert.match(h.stdout, /--resume/);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ stvm: { metric: { alpah: 3 } } }));
    await assert.rejects(run('node', [CLI, '--config', bad, '--source', 'x', '--out', path.join(dir, 'bad-run')]), (e: { stderr: string; code: number }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /stvm\.metric\.alpah/);
      assert.match(e.stderr, /bad\.json/);
      return true;
    });
  });

  it('every shipped config in configs/adapt validates (P0–P2 and the paper-scale ones)', () => {
    const files = fs.readdirSync('configs/adapt').filter((f) => f.endsWith('.json'));
    for (const want of ['p0-stvm.json', 'p1-stvm.json', 'p2-stvm.json', 'gta5-cityscapes.json', 'synthia-cityscapes.json', 'cityscapes-nthu-rome.json']) assert.ok(files.includes(want), want);
    for (const f of files) {
      const c = validateAdaptConfig(JSON.parse(fs.readFileSync(path.join('configs/adapt', f), 'utf8')), f);
      assert.ok(c.iterations > (c.stvm.metric.enabled ? c.stvm.metric.warmupIters : 0), f);
    }
  });
});
