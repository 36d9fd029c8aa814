/**
 * Scheduling runs over several teacher/student pairs, over real gRPC on loopback with fake
 * students that, like the real one, take one run at a time (orchestrator-fixture.ts, oneRun):
 * - more runs than students: each takes a free pair, the rest are QUEUED (no pair, run.json
 *   QUEUED) and start in FIFO order as pairs free; run.json and RunInfo name the pair;
 * - StopRun of a queued run takes it out of the queue (STOPPED, never sent to a student);
 *   ResumeRun of a stopped run queues it again when every student is busy;
 * - a restarted orchestrator restores the queue from run.json (created order).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeClient, unary } from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import { FakeStudent, startOrchestrator, tinySetup, tmpDir, TOKEN, until, type StartedOrchestrator } from './orchestrator-fixture.js';

describe('orchestrator queue (several pairs, loopback, fake students)', function () {
  this.timeout(60000);
  let dir = '';
  let source = '';
  let config: Record<string, unknown> = {};
  const cleanup: (() => Promise<void> | void)[] = [];
  const start = (run_id: string, iterations: number) => ({ run_id, config_json: JSON.stringify(config), source_model: source, overrides: { iterations: String(iterations) } });
  const TEACHER = '127.0.0.1:1';

  before(async () => {
    dir = tmpDir('orch-queue-');
    ({ source, config } = await tinySetup(dir));
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function student(tickMs = 10): Promise<FakeStudent> {
    const s = await FakeStudent.start({ token: TOKEN, tickMs, checkpointEvery: 2, oneRun: true });
    cleanup.push(() => s.close());
    return s;
  }
  async function orchestrator(runsRoot: string, extra: string[]): Promise<{ o: StartedOrchestrator; c: ClientOf<'Orchestrator'>; stop: () => Promise<void> }> {
    const o = await startOrchestrator({ runsRoot, student: '', teacher: '', token: TOKEN, extra });
    const c = makeClient('Orchestrator', o.address, { token: TOKEN, deadlineMs: 10000 });
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      c.close();
      await o.service.stop();
    };
    cleanup.push(stop);
    return { o, c, stop };
  }
  const get = (c: ClientOf<'Orchestrator'>, id: string) => unary(c, 'GetRun', { run_id: id });
  const runJson = (runsRoot: string, id: string) => JSON.parse(fs.readFileSync(path.join(runsRoot, id, 'run.json'), 'utf8')) as Record<string, unknown>;
  const finished = (c: ClientOf<'Orchestrator'>, id: string, ms = 20000) => until(async () => { const r = await get(c, id); return r.phase === 'FINISHED' && r; }, `${id} FINISHED`, ms);

  it('two students: two runs in parallel, the others QUEUED and started first come first served as pairs free', async () => {
    const runsRoot = path.join(dir, 'fifo');
    const [s1, s2] = [await student(), await student()];
    const { o, c } = await orchestrator(runsRoot, ['--orchestrator.pairs', `${s1.address}=${TEACHER},${s2.address}=${TEACHER}`]);
    assert.equal(o.orch.pairs.length, 2);
    const replies = await Promise.all([start('a', 20), start('b', 40), start('c', 10), start('d', 10)].map((r) => unary(c, 'StartRun', r)));
    // ids are given in this order, but the calls race: what matters is 2 started, 2 queued
    const byPhase = (p: string) => replies.filter((r) => r.phase === p).map((r) => r.run_id).sort();
    assert.equal(byPhase('QUEUED').length, 2, JSON.stringify(replies.map((r) => [r.run_id, r.phase])));
    assert.equal(replies.filter((r) => r.phase === 'RUNNING' || r.phase === 'STARTING').length, 2);
    for (const r of replies) {
      if (r.phase === 'QUEUED') assert.deepEqual([r.student, r.teacher], ['', ''], 'a queued run has no pair yet');
      else assert.ok([s1.address, s2.address].includes(r.student) && r.teacher === TEACHER);
    }
    const started = replies.filter((r) => r.phase !== 'QUEUED');
    assert.notEqual(started[0]!.student, started[1]!.student, 'one run per student');
    const queued = o.orch.queued;
    assert.deepEqual([...queued].sort(), byPhase('QUEUED'));
    assert.equal(runJson(runsRoot, queued[0]!)['phase'], 'QUEUED');
    assert.equal(runJson(runsRoot, queued[0]!)['student'], '');

    const done = await Promise.all(['a', 'b', 'c', 'd'].map((id) => finished(c, id)));
    for (const r of done) assert.ok(r.student && r.teacher === TEACHER);
    // every run ran exactly once, never two at a time on one student (oneRun would have FAILED it)
    assert.deepEqual([...s1.starts, ...s2.starts].map((r) => r.run_id).sort(), ['a', 'b', 'c', 'd']);
    assert.ok([...s1.starts, ...s2.starts].every((r) => !r.resume && r.teacher_address === TEACHER));
    const startIndex = (id: string) => { const i = s1.starts.findIndex((r) => r.run_id === id); return i >= 0 ? { s: 1, i } : { s: 2, i: s2.starts.findIndex((r) => r.run_id === id) }; };
    const [q1, q2] = queued as [string, string];
    assert.ok(q2);
    assert.ok(startIndex(q1).i >= 1 && startIndex(q2).i >= 1, 'queued runs started after a first run on their student');
    const rj1 = runJson(runsRoot, q1);
    assert.equal(rj1['phase'], 'FINISHED');
    assert.equal(rj1['student'], startIndex(q1).s === 1 ? s1.address : s2.address);
    assert.equal(rj1['teacher'], TEACHER);
    assert.deepEqual(o.orch.queued, []);
  });

  it('FIFO with one student: queued runs start strictly in arrival order', async () => {
    const runsRoot = path.join(dir, 'fifo1');
    const s = await student();
    const { c, o } = await orchestrator(runsRoot, ['--orchestrator.students', s.address, '--orchestrator.teacher', TEACHER]);
    assert.equal((await unary(c, 'StartRun', start('first', 15))).phase, 'RUNNING');
    for (const id of ['q1', 'q2', 'q3']) assert.equal((await unary(c, 'StartRun', start(id, 3))).phase, 'QUEUED');
    assert.deepEqual(o.orch.queued, ['q1', 'q2', 'q3']);
    await finished(c, 'q3');
    assert.deepEqual(s.starts.map((r) => r.run_id), ['first', 'q1', 'q2', 'q3']);
  });

  it('StopRun of a queued run removes it from the queue (STOPPED); ResumeRun queues it again while the students are busy', async () => {
    const runsRoot = path.join(dir, 'stopq');
    const s = await student(15);
    const { c, o } = await orchestrator(runsRoot, ['--orchestrator.students', s.address, '--orchestrator.teacher', TEACHER]);
    await unary(c, 'StartRun', start('long', 30));
    assert.equal((await unary(c, 'StartRun', start('waiting', 4))).phase, 'QUEUED');
    assert.equal((await unary(c, 'StartRun', start('next', 4))).phase, 'QUEUED');
    const stopped = await unary(c, 'StopRun', { run_id: 'waiting' });
    assert.equal(stopped.phase, 'STOPPED');
    assert.equal(runJson(runsRoot, 'waiting')['phase'], 'STOPPED');
    assert.deepEqual(o.orch.queued, ['next']);
    assert.deepEqual(s.stops, [], 'a queued run is not on a student');

    // resumed while the student is busy: queued again, behind 'next'
    const again = await unary(c, 'ResumeRun', { run_id: 'waiting' });
    assert.equal(again.phase, 'QUEUED');
    assert.deepEqual(o.orch.queued, ['next', 'waiting']);
    await unary(c, 'StopRun', { run_id: 'waiting' });
    assert.deepEqual(o.orch.queued, ['next']);

    await finished(c, 'next');
    assert.equal((await get(c, 'waiting')).phase, 'STOPPED', 'a stopped run stays out of the queue');
    assert.deepEqual(s.starts.map((r) => r.run_id), ['long', 'next']);
    // the student is free now: ResumeRun starts it at once
    const resumed = await unary(c, 'ResumeRun', { run_id: 'waiting' });
    assert.equal(resumed.phase, 'RUNNING');
    assert.equal(resumed.student, s.address);
    await finished(c, 'waiting');
  });

  it('a restarted orchestrator restores the queue from run.json (created order) and starts it as pairs free', async () => {
    const runsRoot = path.join(dir, 'restart');
    const s = await student(15);
    const a = await orchestrator(runsRoot, ['--orchestrator.pairs', `${s.address}=${TEACHER}`]);
    await unary(a.c, 'StartRun', start('busy', 40));
    for (const id of ['z-first', 'a-second']) {
      assert.equal((await unary(a.c, 'StartRun', start(id, 3))).phase, 'QUEUED');
      await new Promise((r) => setTimeout(r, 5)); // distinct created times
    }
    await a.stop();
    assert.equal(runJson(runsRoot, 'z-first')['phase'], 'QUEUED', 'the phase stays on disk');

    const b = await orchestrator(runsRoot, ['--orchestrator.pairs', `${s.address}=${TEACHER}`]);
    assert.deepEqual(b.o.orch.queued, ['z-first', 'a-second'], 'created order, not id order');
    assert.ok(b.o.orch.followed.includes('busy'), 're-attached to the running run');
    await finished(b.c, 'a-second');
    assert.deepEqual(s.starts.map((r) => r.run_id), ['busy', 'z-first', 'a-second']);
    assert.equal((await get(b.c, 'busy')).phase, 'FINISHED');
  });
});
