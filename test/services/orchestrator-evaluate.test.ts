/**
 * Evaluate over real gRPC on loopback: a tiny real model behind a fake teacher's Predict (the
 * batches travel through the tensor codec), out_dir exports, limit, an unfinished run whose
 * teacher does not have it (FAILED_PRECONDITION), a finished run evaluated locally from its
 * teacher.model.ckpt (the same model, so the same mIoU), run.json and the Prometheus metrics.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import type { OpenedModel } from '../../lib/model/model-predictor.js';
import { makeClient, unary } from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import { rejectsWith } from './grpc-fixture.js';
import { FakeStudent, FakeTeacher, openTiny, startOrchestrator, tinySetup, tmpDir, TOKEN, until, type StartedOrchestrator } from './orchestrator-fixture.js';

describe('orchestrator Evaluate (loopback, fake teacher with a real model)', function () {
  this.timeout(120000);
  let dir = '';
  let runsRoot = '';
  let source = '';
  let config: Record<string, unknown> = {};
  let model: OpenedModel;
  let student: FakeStudent;
  let teacher: FakeTeacher;
  let o: StartedOrchestrator;
  let client: ClientOf<'Orchestrator'>;
  let teacherMiou = Number.NaN;

  before(async () => {
    dir = tmpDir('orch-eval-');
    runsRoot = path.join(dir, 'runs');
    ({ source, config } = await tinySetup(dir));
    model = await openTiny(source);
    student = await FakeStudent.start({ token: TOKEN, tickMs: 10 });
    teacher = await FakeTeacher.start(model, TOKEN);
    o = await startOrchestrator({ runsRoot, student: student.address, teacher: teacher.address, token: TOKEN, extra: ['--metrics.enabled', 'true', '--metrics.port', '0'] });
    client = makeClient('Orchestrator', o.address, { token: TOKEN, deadlineMs: 60000 });
  });

  after(async () => {
    client?.close();
    await o?.service.stop();
    await teacher?.close();
    await student?.close();
    await model?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates a running run through Teacher.Predict and records the mIoU', async () => {
    student.paused = true;
    await unary(client, 'StartRun', { run_id: 'live', config_json: JSON.stringify(config), source_model: source });
    teacher.loaded.add('live');
    const r = await unary(client, 'Evaluate', { run_id: 'live' });
    assert.equal(r.run_id, 'live');
    assert.equal(r.images, 2);
    assert.match(r.split, /synthstreet/);
    assert.doesNotMatch(r.split, /local/);
    assert.equal(r.weights?.version, 7);
    assert.ok(r.miou >= 0 && r.miou <= 1, `mIoU ${r.miou}`);
    assert.ok(r.pixel_accuracy >= 0 && r.pixel_accuracy <= 1);
    assert.deepEqual(Object.keys(r.class_iou).sort(), [...PROTOCOLS.camvid11.classes].sort());
    assert.ok(teacher.predictCalls >= 1);
    teacherMiou = r.miou;
    const info = await unary(client, 'GetRun', { run_id: 'live' });
    assert.equal(info.miou, r.miou);
    const rec = await until(() => {
      const x = JSON.parse(fs.readFileSync(path.join(runsRoot, 'live', 'run.json'), 'utf8')) as { last_eval?: { miou: number; images: number; teacher_version: number } };
      return x.last_eval && x;
    }, 'last_eval in run.json');
    assert.equal(rec.last_eval!.miou, r.miou);
    assert.equal(rec.last_eval!.teacher_version, 7);
  });

  it('writes prediction PNGs and overlays to out_dir; limit evaluates fewer images', async () => {
    const out = path.join(dir, 'eval-out');
    const r = await unary(client, 'Evaluate', { run_id: 'live', out_dir: out, limit: 1 });
    assert.equal(r.images, 1);
    assert.equal(fs.readdirSync(path.join(out, 'pred')).filter((f) => f.endsWith('.png')).length, 1);
    assert.equal(fs.readdirSync(path.join(out, 'overlay')).filter((f) => f.endsWith('.png')).length, 1);
  });

  it('is FAILED_PRECONDITION for an unfinished run the teacher does not have', async () => {
    await unary(client, 'StartRun', { run_id: 'elsewhere', config_json: JSON.stringify(config), source_model: source });
    await rejectsWith(unary(client, 'Evaluate', { run_id: 'elsewhere' }), status.FAILED_PRECONDITION, /the teacher at .* does not have the run loaded/);
    await unary(client, 'StopRun', { run_id: 'elsewhere' });
  });

  it('evaluates a finished run locally from teacher.model.ckpt when the teacher does not have it (same model: same mIoU)', async () => {
    student.paused = false;
    await unary(client, 'StartRun', { run_id: 'done', config_json: JSON.stringify(config), source_model: source, overrides: { iterations: '3' } });
    await until(async () => (await unary(client, 'GetRun', { run_id: 'done' })).phase === 'FINISHED', 'FINISHED');
    const calls = teacher.predictCalls;
    const r = await unary(client, 'Evaluate', { run_id: 'done' });
    assert.match(r.split, /\[local teacher\.model\.ckpt: the teacher does not have the run loaded\]$/);
    assert.equal(r.images, 2);
    assert.ok(Math.abs(r.miou - teacherMiou) < 1e-9, `local ${r.miou} vs through the teacher ${teacherMiou}`);
    assert.equal(teacher.predictCalls, calls, 'only the refused first call');
    assert.equal(r.weights?.version, 3);
    assert.match(r.weights?.digest ?? '', /^[0-9a-f]{64}$/);
  });

  it('exports runs by phase, eval mIoU and staleness to Prometheus', async () => {
    await until(async () => (await unary(client, 'GetRun', { run_id: 'live' })).phase === 'FINISHED', 'live FINISHED');
    const all = await (await fetch(`http://${o.service.metricsAddress}/metrics`)).text();
    const text = all.split('\n').filter((l) => /^sfda_(orchestrator|eval|weights_staleness|grpc_server_handled)/.test(l)).join('\n');
    assert.match(text, /^sfda_orchestrator_runs\{phase="FINISHED",component="orchestrator"\} 2$/m);
    assert.match(text, /^sfda_orchestrator_runs\{phase="RUNNING",component="orchestrator"\} 0$/m);
    assert.match(text, /^sfda_orchestrator_runs\{phase="STOPPED",component="orchestrator"\} 1$/m);
    assert.match(text, /^sfda_orchestrator_runs\{phase="RECOVERING",component="orchestrator"\} 0$/m);
    assert.match(text, /^sfda_eval_miou_ratio\{component="orchestrator"\} [0-9.e-]+$/m);
    assert.match(text, /^sfda_weights_staleness_steps\{component="orchestrator"\} 1$/m);
    assert.match(text, /^sfda_grpc_server_handled_total\{.*method="Evaluate".*\} \d+$/m);
  });
});
