/**
 * The orchestrator's pure parts: config overrides coerced by the schema, run ids, run.json
 * round trips, the phase rules, the subscriber queue, the backoff, the process settings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, validate } from '../../lib/config/schema.js';
import { InvalidArgument } from '../../lib/services/grpc/index.js';
import {
  applyConfigOverrides, backoffDelay, checkRunId, EventQueue, isFollowed, isTerminal, listRecords, makeRunId, mergeStudentPhase,
  ORCHESTRATOR_SCHEMA, orchestratorOptions, parseRecord, readRecord, resolveRunConfig, RUN_ID_PATTERN, RunState, serializeRecord,
  toRunInfo, writeRecord, type OrchestratorSettings, type RunRecord,
} from '../../lib/services/orchestrator/index.js';
import { COMMON_SCHEMA } from '../../lib/services/process/config.js';
import { tmpDir, until } from './orchestrator-fixture.js';

function record(dir: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    run_id: path.basename(dir), phase: 'RUNNING', created: '2025-01-01T00:00:00.000Z', updated: '2025-01-01T00:00:00.000Z', mode: 'sync',
    max_staleness: 0, method: 'stvm', source_model: '/m.ckpt', run_dir: dir, step: 3, iterations: 10, teacher_version: 2,
    last_checkpoint: '', error: '', miou: null, student: 's:1', teacher: 't:2', restarts: 0, wall_s: 0.5, metrics: { loss: 0.25 }, ...over,
  };
}

describe('orchestrator parts', () => {
  describe('config overrides', () => {
    it('coerces by the schema type and sets nested fields', () => {
      const out = applyConfigOverrides({ iterations: 5, augment: { cropWidth: 64 } }, {
        iterations: '20', 'augment.flip': '0.25', 'eval.enabled': 'false', 'runtime.provider': 'cuda', description: '42', 'weighting.params.tau': '0.7', 'weighting.params.kind': 'hard',
      });
      assert.deepEqual(out, {
        iterations: 20, augment: { cropWidth: 64, flip: 0.25 }, eval: { enabled: false }, runtime: { provider: 'cuda' }, description: '42',
        weighting: { params: { tau: 0.7, kind: 'hard' } },
      });
    });

    it('names the override in every error', () => {
      const bad: [Record<string, string>, RegExp][] = [
        [{ iterations: '2.5' }, /^overrides.iterations: expected an integer, got '2.5'/],
        [{ batch: '' }, /^overrides.batch: expected a number/],
        [{ 'eval.student': 'sure' }, /^overrides.eval.student: expected true or false/],
        [{ augment: '3' }, /^overrides.augment: is a section, not a field/],
        [{ 'iterations.x': '3' }, /^overrides.iterations.x: 'iterations' is a field, not a section/],
        [{ 'stvm.nope.deeper': '3' }, /^overrides.stvm.nope.deeper: unknown config field 'stvm.nope'/],
        [{ 'a..b': '3' }, /^overrides.a..b: not a dotted field name/],
      ];
      for (const [ov, re] of bad) {
        assert.throws(() => applyConfigOverrides({}, ov), (e: unknown) => e instanceof InvalidArgument && re.test(e.message), JSON.stringify(ov));
      }
    });

    it('resolves, validates and keeps weighting.params; a config error names the field', () => {
      const dir = tmpDir('orch-units-');
      const src = path.join(dir, 'm.ckpt');
      fs.writeFileSync(src, 'x');
      try {
        const rc = resolveRunConfig({ config_json: JSON.stringify({ iterations: 30, stvm: { metric: { warmupIters: 1 } } }), source_model: src, overrides: { batch: '4' } });
        assert.equal(rc.cfg.batch, 4);
        assert.equal(rc.sourceModel, src);
        const sent = JSON.parse(rc.json) as Record<string, unknown>;
        assert.equal(sent['source'], src);
        assert.deepEqual((sent['weighting'] as Record<string, unknown>)['params'], {});
        assert.equal(resolveRunConfig({ config_json: rc.json }).json, rc.json, 'the resolved text resolves to itself');
        assert.throws(() => resolveRunConfig({ config_json: JSON.stringify({ iterations: 0 }), source_model: src }), /config field 'iterations': 0 is below the minimum 1 \(in config_json\)/);
        assert.throws(() => resolveRunConfig({ config_json: '{}', source_model: src, overrides: { 'stvm.metric.warmupIters': '5000' } }), (e: unknown) => e instanceof InvalidArgument && e.field === 'iterations');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('run ids', () => {
    it('makes NATS-safe ids from the config name, the UTC time and a random suffix', () => {
      const id = makeRunId('STvM p0/camvid run!', new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), () => 'abc123');
      assert.equal(id, 'STvM-p0-camvid-run-20250102-030405-abc123');
      assert.match(makeRunId('///'), /^run-\d{8}-\d{6}-[0-9a-f]{6}$/);
      assert.ok(RUN_ID_PATTERN.test(makeRunId('x'.repeat(300))));
    });

    it('checks given ids', () => {
      assert.equal(checkRunId('a_B-9'), 'a_B-9');
      for (const bad of ['a b', 'a.b', 'a/b', '..', 'x'.repeat(101), 'é']) assert.throws(() => checkRunId(bad), /run_id: '.*' is not a valid run id/s);
      assert.throws(() => checkRunId(''), /run_id: required/);
    });
  });

  describe('run.json', () => {
    it('round-trips, writes NaN as null and tolerates old or odd files', async () => {
      const root = tmpDir('orch-rec-');
      try {
        const dir = path.join(root, 'r1');
        fs.mkdirSync(dir);
        const r = record(dir, { miou: Number.NaN, last_eval: { miou: 0.5, split: 's', images: 2, teacher_version: 1, at: 't' } });
        await writeRecord(r);
        const text = fs.readFileSync(path.join(dir, 'run.json'), 'utf8');
        assert.match(text, /"miou": null/);
        assert.deepEqual(readRecord(dir), { ...r, miou: null });
        assert.ok(Number.isNaN(toRunInfo(readRecord(dir)!).miou as number));

        fs.mkdirSync(path.join(root, 'r2'));
        fs.writeFileSync(path.join(root, 'r2', 'run.json'), JSON.stringify({ run_id: 'r2', phase: 'WEIRD', created: '2024' }));
        fs.mkdirSync(path.join(root, 'r3'));
        fs.writeFileSync(path.join(root, 'r3', 'run.json'), '{not json');
        fs.mkdirSync(path.join(root, 'no-record'));
        const errors: string[] = [];
        const list = listRecords(root, (f) => errors.push(f));
        assert.deepEqual(list.map((x) => x.run_id), ['r2', 'r1'], 'sorted by creation time');
        assert.equal(list[0]!.phase, 'FAILED');
        assert.match(list[0]!.error, /unknown phase 'WEIRD'/);
        assert.deepEqual(errors, [path.join(root, 'r3', 'run.json')]);
        assert.equal(parseRecord(serializeRecord(r), '/elsewhere/r1').run_dir, '/elsewhere/r1', 'the folder it was found in wins');
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('RunState persists at once on a phase change and throttles the rest; subscribers end at a terminal phase', async () => {
      const root = tmpDir('orch-state-');
      try {
        const dir = path.join(root, 'r');
        fs.mkdirSync(dir);
        const phases: string[] = [];
        const run = new RunState(record(dir), { persistMs: 10_000, hooks: { onPhase: (_r, from, to) => phases.push(`${from}>${to}`) } });
        await run.persist();
        const q = run.subscribe();
        run.update({ step: 4 });
        run.update({ step: 5 });
        await new Promise((r) => setTimeout(r, 30));
        assert.equal(readRecord(dir)!.step, 3, 'throttled');
        run.update({ phase: 'RECOVERING' });
        await until(() => readRecord(dir)!.phase === 'RECOVERING', 'the phase change written');
        assert.equal(readRecord(dir)!.step, 5);
        run.update({ step: 9, phase: 'FINISHED' });
        const events = [];
        for await (const p of q.iterate()) events.push(`${p.phase}@${p.step}`);
        assert.deepEqual(events, ['RUNNING@3', 'RUNNING@4', 'RUNNING@5', 'RECOVERING@5', 'FINISHED@9']);
        assert.deepEqual(phases, ['RUNNING>RECOVERING', 'RECOVERING>FINISHED']);
        const late = [];
        for await (const p of run.subscribe().iterate()) late.push(p.phase);
        assert.deepEqual(late, ['FINISHED'], 'a subscriber of an ended run gets its state only');
        await run.close();
        assert.equal(readRecord(dir)!.step, 9);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('phases, queue, backoff', () => {
    it('merges the student phase into the record', () => {
      assert.equal(mergeStudentPhase('RECOVERING', 'RUNNING'), 'RUNNING');
      assert.equal(mergeStudentPhase('RUNNING', 'EVALUATING'), 'RUNNING');
      assert.equal(mergeStudentPhase('RUNNING', ''), 'RUNNING');
      assert.equal(mergeStudentPhase('STOPPING', 'RUNNING'), 'STOPPING');
      assert.equal(mergeStudentPhase('STOPPING', 'STOPPED'), 'STOPPED');
      assert.equal(mergeStudentPhase('RUNNING', 'STOPPED'), 'RECOVERING', 'a stop nobody asked for');
      assert.equal(mergeStudentPhase('RUNNING', 'finished'), 'FINISHED');
      assert.ok(isTerminal('FAILED') && isTerminal('STOPPED') && !isTerminal('RECOVERING'));
      assert.ok(isFollowed('STARTING') && isFollowed('RECOVERING') && !isFollowed('FINISHED') && !isFollowed('BOGUS'));
    });

    it('a slow subscriber loses intermediate events, never a terminal one', async () => {
      const q = new EventQueue<{ phase: string; n: number }>(3, (x) => x.phase === 'FINISHED');
      q.push({ phase: 'RUNNING', n: 1 });
      q.push({ phase: 'FINISHED', n: 2 });
      q.push({ phase: 'RUNNING', n: 3 });
      q.push({ phase: 'RUNNING', n: 4 });
      q.push({ phase: 'RUNNING', n: 5 });
      q.close();
      const got = [];
      for await (const x of q.iterate()) got.push(x.n);
      assert.deepEqual(got, [2, 4, 5]);
      assert.equal(q.dropped, 2);
      const ac = new AbortController();
      const q2 = new EventQueue<number>();
      setTimeout(() => ac.abort(), 20);
      for await (const _ of q2.iterate(ac.signal)) assert.fail('nothing queued');
    });

    it('backs off exponentially up to the cap, with jitter in [d/2, d]', () => {
      const p = { baseMs: 100, maxMs: 1000, retries: 3 };
      assert.equal(backoffDelay(p, 0, () => 0), 50);
      assert.equal(backoffDelay(p, 0, () => 1), 100);
      assert.equal(backoffDelay(p, 3, () => 1), 800);
      assert.equal(backoffDelay(p, 50, () => 1), 1000);
    });
  });

  describe('settings', () => {
    const settings = (o: Record<string, unknown>, extra: Record<string, unknown> = {}) => validate({ ...COMMON_SCHEMA, ...ORCHESTRATOR_SCHEMA }, { orchestrator: o, ...extra }) as unknown as OrchestratorSettings;

    it('needs the student and teacher addresses', () => {
      assert.throws(() => orchestratorOptions(settings({ teacher: 'h:1' })), (e: unknown) => e instanceof ConfigError && e.field === 'orchestrator.student');
      assert.throws(() => orchestratorOptions(settings({ student: 'h:1', teacher: 'nope' })), /orchestrator.teacher.*'nope' is not host:port/);
      assert.throws(() => orchestratorOptions(settings({ student: 'h:1', teacher: 'h:2', retryBaseMs: 500, retryMaxMs: 100 })), /retryMaxMs/);
    });

    it('pairs: student+teacher, students sharing a teacher, or pairs; errors name the field', () => {
      const pairsOf = (o: Record<string, unknown>) => orchestratorOptions(settings(o)).pairs.map((p) => `${p.student.address}=${p.teacher.address}`);
      assert.deepEqual(pairsOf({ student: 's:1', teacher: 't:1' }), ['s:1=t:1']);
      assert.deepEqual(pairsOf({ students: 's:1, s:2', teacher: 't:1' }), ['s:1=t:1', 's:2=t:1']);
      assert.deepEqual(pairsOf({ pairs: 's:1=t:1,s:2=t:2, s:3=t:1' }), ['s:1=t:1', 's:2=t:2', 's:3=t:1']);
      const field = (f: string) => (e: unknown) => e instanceof ConfigError && e.field === f;
      assert.throws(() => orchestratorOptions(settings({ pairs: 's:1=t:1,s:2' })), field('orchestrator.pairs'));
      assert.throws(() => orchestratorOptions(settings({ pairs: 's:1=t:1,s:2=nope' })), /orchestrator.pairs.*'nope' is not host:port \(teacher of item 2\)/);
      assert.throws(() => orchestratorOptions(settings({ pairs: 's:1=t:1,s:1=t:2' })), /orchestrator.pairs.*s:1 appears twice/);
      assert.throws(() => orchestratorOptions(settings({ pairs: 's:1=t:1', teacher: 't:1' })), field('orchestrator.pairs'));
      assert.throws(() => orchestratorOptions(settings({ students: 's:1,,s:2', teacher: 't:1' })), field('orchestrator.students'));
      assert.throws(() => orchestratorOptions(settings({ students: 's:1,s:1', teacher: 't:1' })), field('orchestrator.students'));
      assert.throws(() => orchestratorOptions(settings({ student: 's:1', students: 's:2', teacher: 't:1' })), field('orchestrator.students'));
      assert.throws(() => orchestratorOptions(settings({ students: 's:1' })), field('orchestrator.teacher'));
    });

    it('maps the settings to the options: defaults, token, client TLS from the tls section', () => {
      const opts = orchestratorOptions(settings({ student: 'student:50052', teacher: '[::1]:50051', studentTls: true, tlsServerName: 'sfda' }, { auth: { token: 't0k' }, tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' } }));
      assert.equal(opts.runsRoot, path.resolve('runs/services'));
      assert.equal(opts.defaultMode, 'sync');
      assert.equal(opts.maxStaleness, 2);
      assert.equal(opts.token, 't0k');
      assert.deepEqual(opts.pairs, [{ student: { address: 'student:50052', tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem', serverName: 'sfda' } }, teacher: { address: '[::1]:50051' } }]);
      assert.deepEqual(opts.policy, { baseMs: 200, maxMs: 10000, retries: 5 });
    });
  });
});
