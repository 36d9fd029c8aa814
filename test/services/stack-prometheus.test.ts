/**
 * The whole stack as a user runs it, with real parts: nats-server, the teacher, student and
 * orchestrator processes, a run started and followed through the orchestrator (bearer token
 * on), and a real Prometheus scraping the three /metrics endpoints: every target is up and
 * the student's step counter reads the run's student steps.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, saveSegModel } from '../../lib/model/model-file.js';
import { bearerMetadata } from '../../lib/services/grpc/auth.js';
import { makeClient, unary } from '../../lib/services/grpc/client.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
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
    const spec = smallDeepLabSpec({ widths: [8, 8, 16, 16], stemWidth: 8, numClasses: 11, asppDilations: [1, 2], bn: 'train', seed: 3 });
    const { g } = createDeepLab(spec, 1, 33, 33);
    await saveSegModel(path.join(dir, 'source.model.ckpt'), {
      meta: { format: 'stvm-segmodel', version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes: PROTOCOLS.camvid11.classes, inputSize: [64, 48] },
      tensors: new Map(g.graph.initializers),
    });
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
});
