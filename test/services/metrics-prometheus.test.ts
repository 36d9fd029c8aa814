/**
 * Integration with a real Prometheus server: three /metrics endpoints served by this module
 * (teacher, student, orchestrator, in this process) are scraped every second; the values set
 * here come back through Prometheus's HTTP query API.
 */
import assert from 'node:assert/strict';
import { serveMetrics, type MetricsServer, type ServiceMetrics } from '../../lib/services/metrics/index.js';
import { startPrometheus, type PrometheusHandle } from '../helpers/prometheus.js';
import { exercisedMetrics } from './metrics-exercise.js';

describe('services/metrics scraped by a real Prometheus', function () {
  this.timeout(60_000);
  const servers: MetricsServer[] = [];
  let prom: PrometheusHandle | undefined;
  let student: ServiceMetrics<'student'>;

  before(async () => {
    const teacher = exercisedMetrics('teacher');
    student = exercisedMetrics('student') as ServiceMetrics<'student'>;
    const orchestrator = exercisedMetrics('orchestrator');
    student.student.steps.reset();
    student.student.steps.inc(7);
    for (const m of [teacher, student, orchestrator]) servers.push(await serveMetrics(m, { host: '127.0.0.1', port: 0 }));
    prom = await startPrometheus({
      scrapeIntervalS: 1,
      targets: ['teacher', 'student', 'orchestrator'].map((c, i) => ({ job: `sfda-${c}`, address: `127.0.0.1:${servers[i]!.port}` })),
    });
  });

  after(async () => {
    await prom?.stop();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('all three targets are up, and sfda_student_steps_total reads back the value set here', async () => {
    await prom!.waitForTargets(20_000);
    const up = await prom!.query('up');
    assert.deepEqual(up.map((s) => s.metric['job']).sort(), ['sfda-orchestrator', 'sfda-student', 'sfda-teacher']);
    assert.ok(up.every((s) => s.value === 1));
    const s = await prom!.waitForValue('sfda_student_steps_total', (v) => v === 7);
    assert.equal(s.metric['job'], 'sfda-student');
    assert.equal(s.metric['component'], 'student');
    // a later change shows up at the next scrape
    student.student.steps.inc(5);
    await prom!.waitForValue('sfda_student_steps_total{job="sfda-student"}', (v) => v === 12);
    const version = await prom!.query('sfda_weights_teacher_version{job="sfda-teacher"}');
    assert.equal(version[0]?.value, 40);
    const q = await prom!.query('histogram_quantile(0.5, sfda_pseudo_label_reliability_bucket{job="sfda-teacher"})');
    assert.ok(q[0] && q[0].value > 0 && q[0].value <= 1, JSON.stringify(q));
  });
});
