/**
 * The orchestrator over real gRPC on loopback, driving a fake student (orchestrator-fixture.ts):
 * request validation and errors (INVALID_ARGUMENT naming the field, NOT_FOUND, ALREADY_EXISTS,
 * UNAUTHENTICATED), a run followed to FINISHED with run.json kept up to date, WatchRun, ListRuns,
 * StopRun / ResumeRun, Export (unfinished: FAILED_PRECONDITION; finished: the file and its
 * sha256), a run the student fails, and health.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { collect, healthCheck, makeClient, SERVICES, unary } from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import type { Progress__Output } from '../../proto/gen/sfda/v1/Progress.js';
import { rejectsWith } from './grpc-fixture.js';
import { FakeStudent, startOrchestrator, tinySetup, tmpDir, TOKEN, until, type StartedOrchestrator } from './orchestrator-fixture.js';

describe('orchestrator service (loopback, fake student)', function () {
  this.timeout(60000);
  let dir = '';
  let runsRoot = '';
  let source = '';
  let config: Record<string, unknown> = {};
  let student: FakeStudent;
  let o: StartedOrchestrator;
  let client: ClientOf<'Orchestrator'>;
  const start = (extra: Record<string, unknown> = {}) => ({ config_json: JSON.stringify(config), source_model: source, ...extra });
  const readRunJson = (id: string) => JSON.parse(fs.readFileSync(path.join(runsRoot, id, 'run.json'), 'utf8')) as Record<string, unknown>;

  before(async () => {
    dir = tmpDir('orch-svc-');
    runsRoot = path.join(dir, 'runs');
    ({ source, config } = await tinySetup(dir));
    student = await FakeStudent.start({ token: TOKEN, tickMs: 15, checkpointEvery: 3 });
    o = await startOrchestrator({ runsRoot, student: student.address, teacher: '127.0.0.1:1', token: TOKEN });
    client = makeClient('Orchestrator', o.address, { token: TOKEN, deadlineMs: 10000 });
  });

  after(async () => {
    client?.close();
    await o?.service.stop();
    await student?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('validation', () => {
    it('answers INVALID_ARGUMENT for config_json that is not JSON, or empty', async () => {
      await rejectsWith(unary(client, 'StartRun', { config_json: '{"iterations": 3,' }), status.INVALID_ARGUMENT, /^config_json: not valid JSON/);
      await rejectsWith(unary(client, 'StartRun', { config_json: '' }), status.INVALID_ARGUMENT, /^config_json: required/);
      await rejectsWith(unary(client, 'StartRun', { config_json: '[1]' }), status.INVALID_ARGUMENT, /^config_json: expected a JSON object/);
    });

    it('names the bad config field, in the config and in the overrides', async () => {
      await rejectsWith(unary(client, 'StartRun', start({ config_json: JSON.stringify({ ...config, batch: 0 }) })), status.INVALID_ARGUMENT, /config field 'batch': 0 is below the minimum 1/);
      await rejectsWith(unary(client, 'StartRun', start({ config_json: JSON.stringify({ ...config, augment: { cropWidht: 3 } }) })), status.INVALID_ARGUMENT, /config field 'augment.cropWidht': unknown field/);
      await rejectsWith(unary(client, 'StartRun', start({ overrides: { iterations: 'many' } })), status.INVALID_ARGUMENT, /^overrides.iterations: expected a number, got 'many'/);
      await rejectsWith(unary(client, 'StartRun', start({ overrides: { 'augment.nope': '1' } })), status.INVALID_ARGUMENT, /^overrides.augment.nope: unknown config field 'augment.nope'/);
      await rejectsWith(unary(client, 'StartRun', start({ overrides: { 'eval.enabled': 'maybe' } })), status.INVALID_ARGUMENT, /^overrides.eval.enabled: expected true or false/);
    });

    it('needs an existing source model, a valid mode and a valid run id', async () => {
      await rejectsWith(unary(client, 'StartRun', { config_json: JSON.stringify(config) }), status.INVALID_ARGUMENT, /^source_model: required/);
      await rejectsWith(unary(client, 'StartRun', start({ source_model: path.join(dir, 'missing.ckpt') })), status.INVALID_ARGUMENT, /^source_model: .*missing\.ckpt does not exist/);
      await rejectsWith(unary(client, 'StartRun', start({ mode: 'async' })), status.INVALID_ARGUMENT, /^mode: 'async' is not one of sync, pipelined/);
      await rejectsWith(unary(client, 'StartRun', start({ run_id: 'a.b/c' })), status.INVALID_ARGUMENT, /^run_id: 'a.b\/c' is not a valid run id/);
      assert.deepEqual(student.starts, [], 'nothing reached the student');
      assert.deepEqual(fs.readdirSync(runsRoot), [], 'no run directory was made');
    });

    it('answers NOT_FOUND naming an unknown run, INVALID_ARGUMENT for an empty run_id', async () => {
      for (const m of ['GetRun', 'StopRun', 'ResumeRun'] as const) {
        await rejectsWith(unary(client, m, { run_id: 'no-such-run' }), status.NOT_FOUND, /run 'no-such-run' not found/);
        await rejectsWith(unary(client, m, { run_id: '' }), status.INVALID_ARGUMENT, /^run_id: required/);
      }
      await rejectsWith(unary(client, 'Export', { run_id: 'no-such-run', path: path.join(dir, 'x.onnx') }), status.NOT_FOUND, /no-such-run/);
      await rejectsWith(unary(client, 'Evaluate', { run_id: 'no-such-run' }), status.NOT_FOUND, /no-such-run/);
      await rejectsWith(collect(client.WatchRun({ run_id: 'no-such-run' })), status.NOT_FOUND, /no-such-run/);
    });

    it('answers UNAUTHENTICATED without the token or with a wrong one', async () => {
      const anon = makeClient('Orchestrator', o.address, { deadlineMs: 5000 });
      const wrong = makeClient('Orchestrator', o.address, { token: 'nope', deadlineMs: 5000 });
      try {
        await rejectsWith(unary(anon, 'ListRuns', {}), status.UNAUTHENTICATED, /missing authorization/);
        await rejectsWith(unary(anon, 'StartRun', start()), status.UNAUTHENTICATED);
        await rejectsWith(unary(wrong, 'GetRun', { run_id: 'x' }), status.UNAUTHENTICATED, /invalid bearer token/);
        await rejectsWith(collect(anon.WatchRun({ run_id: 'x' })), status.UNAUTHENTICATED);
      } finally {
        anon.close();
        wrong.close();
      }
    });

    it('reports SERVING once the registry is loaded', async () => {
      assert.equal(await healthCheck(o.address, SERVICES.Orchestrator), 'SERVING');
      assert.equal(await healthCheck(o.address, ''), 'SERVING');
    });
  });

  describe('a run', () => {
    let id = '';

    it('is started on the student with the resolved config, overrides applied, and followed to FINISHED', async () => {
      const info = await unary(client, 'StartRun', start({ overrides: { iterations: '9', 'augment.flip': '0' }, mode: 'pipelined', max_staleness: 3 }));
      id = info.run_id;
      assert.match(id, /^tiny-\d{8}-\d{6}-[0-9a-f]{6}$/);
      assert.ok(['RUNNING', 'FINISHED'].includes(info.phase), info.phase);
      assert.equal(info.iterations, 9);
      assert.equal(info.mode, 'pipelined');
      assert.equal(info.method, 'tiny');
      assert.equal(info.run_dir, path.join(runsRoot, id));
      const req = student.starts.find((r) => r.run_id === id)!;
      assert.equal(req.resume, false);
      assert.equal(req.mode, 'SYNC_MODE_PIPELINED');
      assert.equal(req.max_staleness, 3);
      assert.equal(req.teacher_address, '127.0.0.1:1');
      assert.equal(req.source_model, source);
      const sent = JSON.parse(req.config_json) as { iterations: number; augment: { flip: number; cropWidth: number }; source: string; weighting: { params: unknown } };
      assert.equal(sent.iterations, 9);
      assert.equal(sent.augment.flip, 0);
      assert.equal(sent.augment.cropWidth, 48);
      assert.equal(sent.source, source);
      assert.deepEqual(sent.weighting.params, {});
      assert.equal(fs.readFileSync(path.join(runsRoot, id, 'run.config.json'), 'utf8').trim(), req.config_json);

      const done = await until(async () => { const r = await unary(client, 'GetRun', { run_id: id }); return r.phase === 'FINISHED' && r; }, 'FINISHED');
      assert.equal(done.step, 9);
      assert.equal(done.miou, 0.4242, 'mIoU from results.json');
      assert.equal(done.error, '');
      assert.match(done.last_checkpoint, /checkpoints\/step-0000009\.ckpt$/);
      const rec = await until(() => { const r = readRunJson(id); return r['phase'] === 'FINISHED' && r; }, 'run.json FINISHED');
      assert.equal(rec['step'], 9);
      assert.equal(rec['miou'], 0.4242);
      assert.equal(rec['restarts'], 0);
      assert.equal(rec['mode'], 'pipelined');
      assert.equal(rec['max_staleness'], 3);
      assert.equal(rec['student'], student.address);
      assert.match(String(rec['config_hash']), /^[0-9a-f]{16}$/);
      assert.equal(o.orch.followed.includes(id), false, 'no longer followed');
    });

    it('WatchRun of a finished run sends its state and ends', async () => {
      const events = await collect(client.WatchRun({ run_id: id }));
      assert.equal(events.length, 1);
      assert.equal(events[0]!.phase, 'FINISHED');
      assert.equal(events[0]!.step, 9);
    });

    it('ListRuns lists it from disk; a second StartRun with its id is ALREADY_EXISTS', async () => {
      const list = await unary(client, 'ListRuns', {});
      assert.ok(list.runs.some((r) => r.run_id === id && r.phase === 'FINISHED'));
      await rejectsWith(unary(client, 'StartRun', start({ run_id: id })), status.ALREADY_EXISTS, new RegExp(id));
    });

    it('Export copies model.onnx and its sidecar and returns the sha256', async () => {
      const out = path.join(dir, 'export', 'adapted.onnx');
      const r = await unary(client, 'Export', { run_id: id, path: out });
      assert.equal(r.path, out);
      const bytes = fs.readFileSync(out);
      assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.deepEqual(bytes, fs.readFileSync(path.join(runsRoot, id, 'model.onnx')));
      assert.ok(fs.existsSync(`${out}.json`));
      assert.equal(r.weights?.version, 9);
      await rejectsWith(unary(client, 'Export', { run_id: id, path: '' }), status.INVALID_ARGUMENT, /^path: required/);
      await rejectsWith(unary(client, 'StopRun', { run_id: id }), status.FAILED_PRECONDITION, /already ended \(FINISHED\)/);
      await rejectsWith(unary(client, 'ResumeRun', { run_id: id }), status.FAILED_PRECONDITION, /has finished/);
    });
  });

  describe('watching, stopping and resuming', () => {
    it('WatchRun streams the state first, then every step, until the run ends', async () => {
      student.paused = true;
      const info = await unary(client, 'StartRun', start({ run_id: 'watched', overrides: { iterations: '8' } }));
      assert.equal(info.run_id, 'watched');
      const events: Progress__Output[] = [];
      const stream = client.WatchRun({ run_id: 'watched' });
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('data', (p: Progress__Output) => events.push(p));
        stream.on('error', reject);
        stream.on('end', resolve);
      });
      await until(() => events.length > 0, 'the first event');
      assert.equal(events[0]!.run_id, 'watched');
      assert.equal(events[0]!.step, 0);
      student.paused = false;
      await ended;
      const steps = events.map((e) => e.step);
      assert.deepEqual(steps.slice(-8), [1, 2, 3, 4, 5, 6, 7, 8], `steps ${steps.join(',')}`);
      assert.equal(events.at(-1)!.phase, 'FINISHED');
      assert.equal(events.at(-1)!.miou, 0.4242);
      assert.ok(events.slice(0, -1).every((e) => e.phase === 'RUNNING'));
      assert.equal(events.at(-2)!.metrics['loss'], 1 / 8);
    });

    it('StopRun stops with a checkpoint; Export is FAILED_PRECONDITION; ResumeRun continues from there', async () => {
      student.paused = false;
      await unary(client, 'StartRun', start({ run_id: 'stoppable', overrides: { iterations: '400' } }));
      await until(async () => (await unary(client, 'GetRun', { run_id: 'stoppable' })).step >= 4, 'step 4');
      await rejectsWith(unary(client, 'Export', { run_id: 'stoppable', path: path.join(dir, 'early.onnx') }), status.FAILED_PRECONDITION, /run stoppable has not finished \(phase RUNNING, step \d+\/400\)/);
      const stopped = await unary(client, 'StopRun', { run_id: 'stoppable' });
      assert.equal(stopped.phase, 'STOPPED');
      assert.match(stopped.last_checkpoint, /step-\d{7}\.ckpt$/);
      const atStop = stopped.step;
      assert.ok(atStop >= 4);
      assert.equal(readRunJson('stoppable')['phase'], 'STOPPED');
      assert.equal((await unary(client, 'StopRun', { run_id: 'stoppable' })).phase, 'STOPPED', 'stopping a stopped run is a no-op');
      await sleep(100);
      assert.equal((await unary(client, 'GetRun', { run_id: 'stoppable' })).step, atStop, 'nothing moves while stopped');
      await rejectsWith(unary(client, 'Export', { run_id: 'stoppable', path: path.join(dir, 'early.onnx') }), status.FAILED_PRECONDITION, /phase STOPPED/);

      const resumed = await unary(client, 'ResumeRun', { run_id: 'stoppable' });
      assert.equal(resumed.phase, 'RUNNING');
      const req = student.starts.filter((r) => r.run_id === 'stoppable').at(-1)!;
      assert.equal(req.resume, true);
      // the student began at the stop checkpoint; the reply may already carry a step or two
      // taken since (the fake student ticks every few ms), so only that is asserted exactly
      assert.equal(student.startSteps.at(-1), atStop, 'continues from the stop checkpoint');
      assert.ok(resumed.step >= atStop, `resumed at ${resumed.step}, stopped at ${atStop}`);
      await until(async () => (await unary(client, 'GetRun', { run_id: 'stoppable' })).step > atStop + 2, 'progress after the resume');
      await unary(client, 'StopRun', { run_id: 'stoppable' });
    });

    it('a StopRun that outlasts its deadline leaves the run STOPPING until the student reports STOPPED', async () => {
      const slow = await FakeStudent.start({ token: TOKEN, tickMs: 10, stopDelayMs: 600 });
      const o4 = await startOrchestrator({ runsRoot: path.join(dir, 'runs-slowstop'), student: slow.address, teacher: '127.0.0.1:1', token: TOKEN, extra: ['--orchestrator.runCallDeadlineMs', '200'] });
      const c4 = makeClient('Orchestrator', o4.address, { token: TOKEN });
      try {
        await unary(c4, 'StartRun', start({ run_id: 'slow', overrides: { iterations: '1000' } }));
        await until(async () => (await unary(c4, 'GetRun', { run_id: 'slow' })).step >= 2, 'step 2');
        const r = await unary(c4, 'StopRun', { run_id: 'slow' });
        assert.equal(r.phase, 'STOPPING');
        const s = await until(async () => { const x = await unary(c4, 'GetRun', { run_id: 'slow' }); return x.phase === 'STOPPED' && x; }, 'STOPPED');
        assert.equal(s.error, '');
        assert.match(s.last_checkpoint, new RegExp(`step-${String(s.step).padStart(7, '0')}\\.ckpt$`));
        assert.deepEqual(o4.orch.followed, []);
      } finally {
        c4.close();
        await o4.service.stop();
        await slow.close();
      }
    });

    it('a run the student fails is FAILED with its message, and not recovered', async () => {
      const failing = await FakeStudent.start({ token: TOKEN, tickMs: 10, failAt: 3 });
      const o2 = await startOrchestrator({ runsRoot: path.join(dir, 'runs-fail'), student: failing.address, teacher: '127.0.0.1:1', token: TOKEN });
      const c2 = makeClient('Orchestrator', o2.address, { token: TOKEN });
      try {
        await unary(c2, 'StartRun', start({ run_id: 'doomed' }));
        const r = await until(async () => { const x = await unary(c2, 'GetRun', { run_id: 'doomed' }); return x.phase === 'FAILED' && x; }, 'FAILED');
        assert.equal(r.error, 'failed at step 3');
        await sleep(100);
        assert.equal(failing.starts.length, 1, 'no automatic resume of a failed run');
      } finally {
        c2.close();
        await o2.service.stop();
        await failing.close();
      }
    });

    it('StartRun while the student is down records the run FAILED and answers UNAVAILABLE; ResumeRun starts it later', async () => {
      const probe = await FakeStudent.start({ token: TOKEN });
      const port = probe.port;
      await probe.close();
      const o3 = await startOrchestrator({ runsRoot: path.join(dir, 'runs-down'), student: `127.0.0.1:${port}`, teacher: '127.0.0.1:1', token: TOKEN, extra: ['--orchestrator.retries', '6'] });
      const c3 = makeClient('Orchestrator', o3.address, { token: TOKEN });
      let late: FakeStudent | undefined;
      try {
        await rejectsWith(unary(c3, 'StartRun', start({ run_id: 'early', overrides: { iterations: '5' } })), status.UNAVAILABLE, /student at 127\.0\.0\.1:\d+: StartRun: .*ResumeRun starts it/);
        const r = await unary(c3, 'GetRun', { run_id: 'early' });
        assert.equal(r.phase, 'FAILED');
        assert.match(r.error, /^Student.StartRun failed: UNAVAILABLE/);
        late = await FakeStudent.start({ token: TOKEN, port, tickMs: 10 });
        const resumed = await unary(c3, 'ResumeRun', { run_id: 'early' });
        assert.equal(resumed.phase, 'RUNNING');
        assert.equal(resumed.error, '');
        assert.equal(late.starts[0]!.resume, true);
        await until(async () => (await unary(c3, 'GetRun', { run_id: 'early' })).phase === 'FINISHED', 'FINISHED');
      } finally {
        c3.close();
        await o3.service.stop();
        await late?.close();
      }
    });
  });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
