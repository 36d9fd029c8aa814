/**
 * The baseline command (cli/baseline.ts): AdaBN and TENT runs on a tiny source model and tiny
 * SynthStreet target frames, each leaving a model file that evaluate and predict accept and an
 * inference ONNX; TENT resumes from its checkpoint to the same model; flag errors name the flag.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { writePng } from '../../lib/data/io/index.js';
import { loadSegModel } from '../../lib/model/model-file.js';
import { synthStreetDataset } from '../../lib/train/synth-dataset.js';
import { writeTinySourceModel } from '../helpers/tiny-model.js';

const run = promisify(execFile);
const CLI = 'dist/cli/baseline.js';

describe('baseline command (AdaBN, TENT)', function () {
  this.timeout(180000);
  let dir = '';
  let src = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-cli-'));
    src = path.join(dir, 'source.model.ckpt');
    await writeTinySourceModel(src);
    fs.writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify({
      iterations: 4, batch: 2,
      target: { source: 'synthstreet', style: 'dusk', count: 4, width: 64, height: 48 },
      augment: { cropWidth: 48, cropHeight: 40 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { warmupIters: 25 } },
      runtime: { threads: 1, checkpointEvery: 2 },
    }));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const method of ['adabn', 'tent'] as const) {
    it(`${method}: writes a model file that evaluate and predict accept, an inference ONNX and results`, async () => {
      const out = path.join(dir, method);
      const extra = method === 'adabn' ? ['--adabn-count', '4', '--adabn-batch', '2'] : ['--lr', '1e-3'];
      const r = await run('node', [CLI, '--method', method, '--config', path.join(dir, 'tiny.json'), '--source', src, '--out', out, '--quiet', ...extra]);
      assert.match(r.stdout, new RegExp(`${method}: model .*model\\.ckpt, diagnostic mIoU`));
      for (const f of ['config.json', 'version.json', 'model.ckpt', 'model.onnx', 'model.onnx.json', 'results.json']) assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
      const m = await loadSegModel(path.join(out, 'model.ckpt'));
      assert.equal((m.meta.source as { adaptedBy?: string }).adaptedBy, method);
      const before = await loadSegModel(src);
      const bnMean = [...m.tensors.keys()].find((k) => k.endsWith('running_mean'))!;
      assert.notDeepEqual([...(m.tensors.get(bnMean)!.data as Float32Array)], [...(before.tensors.get(bnMean)!.data as Float32Array)], 'the BN statistics were adapted');
      const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
      assert.equal(res.method, method);
      assert.ok(res.model.mIoU >= 0 && res.model.mIoU <= 1);
      // evaluate and predict accept the model file
      const ev = await run('node', ['dist/cli/evaluate.js', '--model', path.join(out, 'model.ckpt'), '--synth-style', 'dusk', '--synth-count', '2', '--resize', '64x48', '--threads', '1', '--json', path.join(out, 'eval.json')]);
      assert.match(ev.stdout, /mIoU/);
      const evj = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
      assert.ok(evj.mIoU >= 0 && evj.mIoU <= 1 && evj.images === 2);
      const imgs = path.join(out, 'imgs');
      fs.mkdirSync(imgs);
      const ds = synthStreetDataset({ seed: 1001, count: 1, style: 'dusk', width: 64, height: 48 });
      await writePng(path.join(imgs, 'f0.png'), await ds.readImage(0));
      await run('node', ['dist/cli/predict.js', '--model', path.join(out, 'model.ckpt'), '--images', imgs, '--out', path.join(out, 'pred'), '--threads', '1', '--no-overlay']);
      assert.ok(fs.existsSync(path.join(out, 'pred', 'f0.png')));
    });
  }

  it('tent killed after a checkpoint and resumed ends with the same model as an uninterrupted run', async () => {
    const a = path.join(dir, 'tent-straight'), b = path.join(dir, 'tent-resumed');
    const args = (out: string) => [CLI, '--method', 'tent', '--config', path.join(dir, 'tiny.json'), '--source', src, '--out', out, '--quiet', '--lr', '1e-3', '--iterations', '30', '--set', 'eval.enabled=false'];
    await run('node', args(a));
    // the second run is killed (SIGKILL: no chance to clean up) once its first checkpoint exists
    const child = spawn('node', args(b), { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const latest = path.join(b, 'checkpoints', 'latest.json');
    while (!fs.existsSync(latest) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    assert.ok(!fs.existsSync(path.join(b, 'model.ckpt')), 'the run was killed before it finished (otherwise this test checks nothing)');
    const step = (JSON.parse(fs.readFileSync(latest, 'utf8')) as { step: number }).step;
    assert.ok(step < 29, `killed at checkpoint step ${step}`);
    await run('node', [...args(b), '--resume']);
    const ma = await loadSegModel(path.join(a, 'model.ckpt')), mb = await loadSegModel(path.join(b, 'model.ckpt'));
    for (const [k, t] of ma.tensors) assert.deepEqual([...(mb.tensors.get(k)!.data as Float32Array)], [...(t.data as Float32Array)], k);
  });

  it('bad flags are usage errors naming the flag', async () => {
    await assert.rejects(run('node', [CLI, '--method', 'shot', '--config', path.join(dir, 'tiny.json'), '--out', path.join(dir, 'x')]), (e: { stderr: string; code: number }) => e.code === 1 && /--method must be adabn or tent/.test(e.stderr));
    await assert.rejects(run('node', [CLI, '--method', 'adabn', '--config', path.join(dir, 'tiny.json'), '--source', src, '--out', path.join(dir, 'y'), '--adabn-batch', '1']), (e: { stderr: string; code: number }) => e.code === 1 && /--adabn-batch/.test(e.stderr));
  });
});
