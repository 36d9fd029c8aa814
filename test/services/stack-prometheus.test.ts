/**
 * The whole stack as a user runs it, with real parts: nats-server, the teacher, student and
 * orchestrator processes, a run started and followed through the orchestrator (bearer token
 * on), and a real Prometheus scraping the three /metrics endpoints: every target is up and
 * the student's step counter reads the run's student steps. Then the student process is killed
 * mid-run and started again: the orchestrator resumes the run on it from the last checkpoint,
 * and the run's losses equal those of the same run in one process.
 */
import { writeTinySourceModel } from '../helpers/tiny-model.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bearerMetadata } from '../../lib/services/grpc/auth.js';
import { makeClient, unary } from '../../lib/services/grpc/client.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { adaptRun } from '../../lib/train/adapt-run.js';
import { startPrometheus, type PrometheusHandle } from '../helpers/prometheus.js';
import { startServiceProcess, type ServiceProcess } from '../../lib/services/local/service-process.js';

const TOKEN = 'stack-token';

describe('the stack: orchestrator-driven run scraped by a real Prometheus', function () {
  this.timeout(240_000);
  let dir = '';
  let nats: NatsServerHandle;
  const procs: ServiceProcess[] = [];
  let prom: PrometheusHandle | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-stack-'));
    await writeTinySourceModel(path.join(dir, 'source.model.ckpt'));
    nats = await startNatsServer();
    const common = ['--nats.servers', nats.url, '--auth.token', TOKEN, '--log.level', 'warn'];
    const teacher = await startServiceProcess('teacher-service', common);
    const student = await startServiceProcess('student-service', [...common, '--student.teacher', teacher.address]);
    const orch = await startServiceProcess('orchestrator', [...common, '--orchestrator.student', student.address, '--orchestrator.teacher', teacher.address, '--orchestrator.runsRoot', path.join(dir, 'runs')]);
    procs.push(teacher, student, orch);
    prom = await startPrometheus({ scrapeIntervalS: 1, targets: procs.map((p) => ({ job: `sfda-${p.name}`, address: p.metrics })) });
  });

  after(async () => {
    await prom?.stop();
    await Promise.allSettled(procs.map((p) => p.kill()));
    await nats?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a run through the orchestrator finishes; Prometheus reads every service and the student's step counter", async () => {
    const orch = makeClient('Orchestrator', procs[2]!.address);
    const md = bearerMetadata(TOKEN);
    try {
      const config = {
        iterations: 5, batch: 2, seed: 2,
        target: { source: 'synthstreet', style: 'dusk', count: 4, width: 64, height: 48 },
        augment: { cropWidth: 48, cropHeight: 40 },
        eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
        stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
        runtime: { threads: 1 },
      };
      const info = await unary(orch, 'StartRun', { run_id: 'stack', config_json: JSON.stringify(config), source_model: path.join(dir, 'source.model.ckpt'), mode: 'sync', max_staleness: 0, overrides: {} }, { metadata: md });
      assert.equal(info.run_id, 'stack');
      let phase = '';
      for (let i = 0; i < 600 && !['FINISHED', 'FAILED'].includes(phase); i++) {
        phase = (await unary(orch, 'GetRun', { run_id: 'stack' }, { metadata: md })).phase;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(phase, 'FINISHED', procs[1]!.log().slice(-2000));
      const list = await unary(orch, 'ListRuns', {}, { metadata: md });
      assert.deepEqual(list.runs.map((r) => r.run_id), ['stack']);

      await prom!.waitForTargets(30_000);
      const up = await prom!.query('up');
      assert.deepEqual(up.map((s) => s.metric['job']).sort(), ['sfda-orchestrator', 'sfda-student-service', 'sfda-teacher-service']);
      assert.ok(up.every((s) => s.value === 1));
      // 5 iterations, 1 of them metric warm-up: 4 student steps
      const steps = await prom!.waitForValue('sfda_student_steps_total', (v) => v === 4, 30_000);
      assert.equal(steps.metric['component'], 'student');
      const labels = await prom!.waitForValue('sfda_teacher_label_requests_total', (v) => v >= 5, 30_000);
      assert.equal(labels.metric['component'], 'teacher');
      const handled = await prom!.query('sum by (method) (sfda_grpc_server_handled_total{component="teacher",code="OK"})');
      assert.ok(handled.some((s) => s.metric['method'] === 'Label' && s.value >= 5), JSON.stringify(handled));
    } finally {
      orch.close();
    }
  });

  it('student killed mid-run: the orchestrator resumes the run on the restarted student; the losses equal one process', async () => {
    const config = {
      iterations: 8, batch: 2, seed: 4, source: path.join(dir, 'source.model.ckpt'),
      target: { source: 'synthstreet', style: 'dusk', count: 6, width: 64, height: 48 },
      augment: { cropWidth: 48, cropHeight: 40 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1, checkpointEvery: 2 },
    };
    const single = path.join(dir, 'single');
    await adaptRun({ cfg: validateAdaptConfig(config), out: single, resume: false, console: 'none', progress: false });
    const orch = makeClient('Orchestrator', procs[2]!.address);
    const md = bearerMetadata(TOKEN);
    try {
      await unary(orch, 'StartRun', { run_id: 'recover', config_json: JSON.stringify(config), source_model: '', mode: 'sync', max_staleness: 0, overrides: {} }, { metadata: md });
      let killed = false;
      let info = await unary(orch, 'GetRun', { run_id: 'recover' }, { metadata: md });
      for (let i = 0; i < 1200 && !['FINISHED', 'FAILED'].includes(info.phase); i++) {
        if (!killed && Number(info.step) >= 3) {
          killed = true;
          await procs[1]!.kill();
          await new Promise((r) => setTimeout(r, 500));
          await procs[1]!.restart();
        }
        await new Promise((r) => setTimeout(r, 100));
        info = await unary(orch, 'GetRun', { run_id: 'recover' }, { metadata: md });
      }
      assert.ok(killed, 'the student was killed mid-run');
      assert.equal(info.phase, 'FINISHED', `${info.error}\n${procs[1]!.log().slice(-2000)}`);
      // (RECOVERING can come and go between two polls; run.json's restart count is the record)
      const runJson = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'recover', 'run.json'), 'utf8')) as { restarts?: number };
      assert.ok((runJson.restarts ?? 0) >= 1, `restarts ${runJson.restarts}`);
      const recs = (d: string) => fs.readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['kind'] === undefined);
      const a = recs(path.join(dir, 'runs', 'recover')), b = recs(single);
      assert.deepEqual(a.map((r) => r['step']), b.map((r) => r['step']));
      for (let k = 0; k < b.length; k++) for (const key of ['loss', 'student_loss', 'metric_loss']) assert.equal(a[k]![key], b[k]![key], `step ${k}: ${key}`);
    } finally {
      orch.close();
    }
  });
});
