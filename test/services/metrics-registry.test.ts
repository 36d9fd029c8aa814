/**
 * The service metrics registry: which metric families each component exports, their naming
 * (prefix, base units, `_total` only on counters, bounded labels), and the helpers that bin,
 * count and validate (bulk histogram, pseudo-label counts, gRPC codes, sync reasons, phases).
 */
import assert from 'node:assert/strict';
import { Histogram, Registry, register as globalRegistry } from 'prom-client';
import { BulkHistogram, createServiceMetrics, grpcCodeName, MAX_CLASS_LABELS, MAX_GRPC_METHODS, RATIO_BUCKETS, splitGrpcPath, type Component } from '../../lib/services/metrics/index.js';
import { exercisedMetrics, parseExposition, TEST_BUILD } from './metrics-exercise.js';

const COMMON = [
  'sfda_build_info',
  'sfda_grpc_server_handled_total',
  'sfda_grpc_server_handling_seconds',
  'sfda_grpc_client_handled_total',
  'sfda_grpc_client_handling_seconds',
  'sfda_weights_sync_bytes_total',
  'sfda_weights_sync_seconds',
  'sfda_weights_sync_failures_total',
  'sfda_weights_staleness_steps',
  'sfda_weights_teacher_version',
  'sfda_weights_published_version',
];
const EXPECTED: Record<Component, string[]> = {
  teacher: [
    ...COMMON,
    'sfda_teacher_label_requests_total',
    'sfda_teacher_label_seconds',
    'sfda_teacher_metric_steps_total',
    'sfda_teacher_metric_loss',
    'sfda_pseudo_label_reliability',
    'sfda_pseudo_label_mean_reliability',
    'sfda_pseudo_label_pixels_total',
    'sfda_execution_provider_info',
  ],
  student: [
    ...COMMON,
    'sfda_student_step_seconds',
    'sfda_student_steps_total',
    'sfda_student_images_total',
    'sfda_student_loss',
    'sfda_execution_provider_info',
    'sfda_checkpoint_seconds',
    'sfda_checkpoint_last_success_timestamp_seconds',
  ],
  orchestrator: [...COMMON, 'sfda_orchestrator_runs', 'sfda_eval_miou_ratio', 'sfda_checkpoint_seconds', 'sfda_checkpoint_last_success_timestamp_seconds'],
};
const PROCESS = ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes'];

describe('services/metrics registry', () => {
  for (const component of ['teacher', 'student', 'orchestrator'] as const) {
    it(`${component}: exports its families, named by the conventions, every series labelled component="${component}"`, async () => {
      const m = exercisedMetrics(component);
      const fams = parseExposition(await m.registry.metrics());
      const sfda = [...fams.keys()].filter((n) => n.startsWith('sfda_')).sort();
      assert.deepEqual(sfda, [...EXPECTED[component]].sort());
      for (const p of PROCESS) assert.ok(fams.has(p), `process metric ${p} missing`);
      for (const [name, f] of fams) {
        assert.match(name, /^(sfda|process|nodejs)_[a-z0-9_]+$/, name);
        assert.ok(f.help.length > 10, `${name}: help text`);
        if (f.type === 'counter') assert.match(name, /_total$/, `counter ${name} must end in _total`);
        else assert.doesNotMatch(name, /_total$/, `${f.type} ${name} must not end in _total`);
        for (const s of f.samples) {
          assert.match(s, new RegExp(`component="${component}"`), s);
          assert.doesNotMatch(s, /[{,](run|run_id)=/, `no run-id label: ${s}`);
        }
      }
      assert.equal((await globalRegistry.metrics()).includes('sfda_'), false, 'nothing in prom-client\'s global registry');
    });
  }

  it('sfda_build_info carries the version and commit; the provider info keeps one provider', async () => {
    const m = createServiceMetrics('student', { build: TEST_BUILD, processMetrics: false });
    m.provider.setProvider('webgpu');
    m.provider.setProvider('cpu');
    const text = await m.registry.metrics();
    assert.match(text, /^sfda_build_info\{version="0\.1\.0",commit="0123456789abcdef0123456789abcdef01234567",component="student"\} 1$/m);
    assert.match(text, /^sfda_execution_provider_info\{provider="cpu",component="student"\} 1$/m);
    assert.doesNotMatch(text, /provider="webgpu"/);
    assert.throws(() => m.provider.setProvider('CPU ExecutionProvider (fallback)'), /not a short lowercase identifier/);
    assert.doesNotMatch(text, /^process_/m);
  });

  it('BulkHistogram gives the same series as prom-client Histogram, NaN skipped', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 999);
    const a = new Registry();
    const b = new Registry();
    const bulk = new BulkHistogram({ name: 'h', help: 'help h', buckets: RATIO_BUCKETS, registers: [a] });
    const ref = new Histogram({ name: 'h', help: 'help h', buckets: [...RATIO_BUCKETS], registers: [b] });
    assert.deepEqual(bulk.observeAll([...values.slice(0, 500), NaN, Infinity]).count, 500);
    for (const v of values.slice(500)) bulk.observe(v);
    for (const v of values) ref.observe(v);
    const round = (t: string) => t.replace(/(h_sum) (\S+)/, (_, n: string, v: string) => `${n} ${Number(v).toFixed(9)}`);
    assert.equal(round(await a.metrics()), round(await b.metrics()));
    const big = new Float32Array(500_000).map((_, i) => (i % 1001) / 1000);
    const t0 = performance.now();
    bulk.observeAll(big);
    assert.ok(performance.now() - t0 < 200, 'binning 500 000 values takes well under 200 ms');
  });

  it('pseudo-labels: pixels per class (ignore skipped, unknown ids as "other"), reliability histogram and mean', async () => {
    const m = createServiceMetrics('teacher', { build: TEST_BUILD, processMetrics: false });
    m.pseudoLabels.record({ labels: new Uint8Array([0, 0, 2, 255, 9]), reliabilities: new Float32Array([0.2, 0.4, 0.6, 0.8, 1]), classNames: ['road', 'sky', 'car'] });
    const text = await m.registry.metrics();
    assert.match(text, /^sfda_pseudo_label_pixels_total\{class="road",component="teacher"\} 2$/m);
    assert.match(text, /^sfda_pseudo_label_pixels_total\{class="car",component="teacher"\} 1$/m);
    assert.match(text, /^sfda_pseudo_label_pixels_total\{class="other",component="teacher"\} 1$/m);
    assert.doesNotMatch(text, /class="sky"/);
    assert.match(text, /^sfda_pseudo_label_reliability_bucket\{le="0.5",component="teacher"\} 2$/m);
    assert.match(text, /^sfda_pseudo_label_reliability_count\{component="teacher"\} 5$/m);
    assert.equal((await m.pseudoLabels.meanReliability.get()).values[0]!.value.toFixed(6), '0.600000');
    const many = Array.from({ length: MAX_CLASS_LABELS + 1 }, (_, i) => `c${i}`);
    assert.throws(() => m.pseudoLabels.record({ labels: new Uint8Array(1), classNames: many }), /exceed the bound/);
  });

  it('gRPC: status names, call paths split into service and method', async () => {
    assert.equal(grpcCodeName(0), 'OK');
    assert.equal(grpcCodeName(14), 'UNAVAILABLE');
    assert.equal(grpcCodeName(99), 'UNKNOWN');
    assert.deepEqual(splitGrpcPath('/sfda.v1.Teacher/Label'), { service: 'sfda.v1.Teacher', method: 'Label' });
    assert.deepEqual(splitGrpcPath('garbage'), { service: 'unknown', method: 'unknown' });
    const m = createServiceMetrics('teacher', { build: TEST_BUILD, processMetrics: false });
    m.grpc.observeServer('/sfda.v1.Teacher/SyncWeights', 4, 3);
    const text = await m.registry.metrics();
    assert.match(text, /^sfda_grpc_server_handled_total\{service="sfda\.v1\.Teacher",method="SyncWeights",code="DEADLINE_EXCEEDED",component="teacher"\} 1$/m);
    assert.match(text, /^sfda_grpc_server_handling_seconds_bucket\{le="5",component="teacher",service="sfda\.v1\.Teacher",method="SyncWeights"\} 1$/m);
  });

  it('gRPC: the method labels stay bounded whatever paths callers use', async () => {
    const m = createServiceMetrics('teacher', { build: TEST_BUILD, processMetrics: false });
    m.grpc.observeServer('sfda.v1.Teacher/Label', 0, 0.01);
    for (let i = 0; i < 500; i++) m.grpc.observeServer(`/scan.Probe/m${i}`, 12, 0.001);
    for (let i = 0; i < MAX_GRPC_METHODS + 10; i++) m.grpc.observeClient(`/svc.S/m${i}`, 0, 0.001);
    const text = await m.registry.metrics();
    assert.match(text, /^sfda_grpc_server_handled_total\{service="sfda\.v1\.Teacher",method="Label",code="OK",component="teacher"\} 1$/m);
    assert.match(text, /^sfda_grpc_server_handled_total\{service="unknown",method="unknown",code="UNIMPLEMENTED",component="teacher"\} 500$/m);
    assert.match(text, /^sfda_grpc_client_handled_total\{service="other",method="other",code="OK",component="teacher"\} 10$/m);
    const clientSeries = text.split('\n').filter((l) => l.startsWith('sfda_grpc_client_handled_total{'));
    assert.equal(clientSeries.length, MAX_GRPC_METHODS + 1);
  });

  it('sync failures: every reason exported from the start, unknown reasons rejected', async () => {
    const m = createServiceMetrics('orchestrator', { build: TEST_BUILD, processMetrics: false });
    let text = await m.registry.metrics();
    for (const r of ['corrupt', 'stale', 'timeout', 'unavailable']) assert.match(text, new RegExp(`^sfda_weights_sync_failures_total\\{reason="${r}",component="orchestrator"\\} 0$`, 'm'));
    m.sync.recordFailure('timeout');
    assert.throws(() => m.sync.recordFailure('disk full' as 'timeout'), /unknown weights sync failure reason/);
    text = await m.registry.metrics();
    assert.match(text, /^sfda_weights_sync_failures_total\{reason="timeout",component="orchestrator"\} 1$/m);
  });

  it('orchestrator: runs by phase, zero-filled, unknown phases rejected, phases configurable', async () => {
    const m = createServiceMetrics('orchestrator', { build: TEST_BUILD, processMetrics: false });
    m.orchestrator.setRunPhases(['RUNNING', 'FAILED', 'RUNNING']);
    m.orchestrator.setRunPhases(['RUNNING', 'FINISHED']);
    const text = await m.registry.metrics();
    assert.match(text, /^sfda_orchestrator_runs\{phase="RUNNING",component="orchestrator"\} 1$/m);
    assert.match(text, /^sfda_orchestrator_runs\{phase="FINISHED",component="orchestrator"\} 1$/m);
    assert.match(text, /^sfda_orchestrator_runs\{phase="FAILED",component="orchestrator"\} 0$/m);
    assert.throws(() => m.orchestrator.setRunPhases(['run-20250101']), /is not one of/);
    const custom = createServiceMetrics('orchestrator', { build: TEST_BUILD, processMetrics: false, runPhases: ['A', 'B'] });
    assert.deepEqual(custom.orchestrator.phases, ['A', 'B']);
    assert.throws(() => createServiceMetrics('learner' as 'teacher'), /unknown component/);
  });
});
