/**
 * Recovery, over real gRPC on loopback with fake students (orchestrator-fixture.ts):
 * - the student is killed mid-run (server forced down) and a new one starts on the same port:
 *   the run goes RECOVERING, is resumed there from its latest checkpoint (StartRun resume=true)
 *   and finishes; WatchRun subscribers see it all on one stream; run.json counts the restart;
 * - the student shuts down gracefully (its Watch stream ends cleanly mid-run): same recovery;
 * - the orchestrator restarts (a new instance on the same runsRoot): it lists the runs from
 *   disk and re-attaches to a run the student still runs, or resumes one the student lost;
 * - StopRun while RECOVERING stops at the checkpoint on disk; the restart budget.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { collect, makeClient, unary } from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import type { Progress__Output } from '../../proto/gen/sfda/v1/Progress.js';
import { FakeStudent, sleep, startOrchestrator, tinySetup, tmpDir, TOKEN, until, type StartedOrchestrator } from './orchestrator-fixture.js';

describe('orchestrator recovery (loopback, fake students)', function () {
  this.timeout(60000);
  let dir = '';
  let source = '';
  let config: Record<string, unknown> = {};
  const cleanup: (() => Promise<void> | void)[] = [];
  const start = (run_id: string, iterations: number) => ({ run_id, config_json: JSON.stringify(config), source_model: source, overrides: { iterations: String(iterations) } });

  before(async () => {
    dir = tmpDir('orch-rec-');
    ({ source, config } = await tinySetup(dir));
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function student(port = 0, tickMs = 15): Promise<FakeStudent> {
    const s = await FakeStudent.start({ token: TOKEN, port, tickMs, checkpointEvery: 3 });
    cleanup.push(() => s.close());
    return s;
  }
  async function orchestrator(runsRoot: string, studentAddress: string, extra: string[] = []): Promise<{ o: StartedOrchestrator; c: ClientOf<'Orchestrator'> }> {
    const o = await startOrchestrator({ runsRoot, student: studentAddress, teacher: '127.0.0.1:1', token: TOKEN, extra });
    const c = makeClient('Orchestrator', o.address, { token: TOKEN, deadlineMs: 10000 });
    cleanup.push(async () => {
      c.close();
      await o.service.stop();
    });
    return { o, c };
  }
  const get = (c: ClientOf<'Orchestrator'>, id: string) => unary(c, 'GetRun', { run_id: id });
  const runJson = (runsRoot: string, id: string) => JSON.parse(fs.readFileSync(path.join(runsRoot, id, 'run.json'), 'utf8')) as Record<string, unknown>;
  const latestStep = (runsRoot: string, id: string) => (JSON.parse(fs.readFileSync(path.join(runsRoot, id, 'checkpoints', 'latest.json'), 'utf8')) as { step: number }).step;

  it('a killed student: RECOVERING, resumed on the new student from the latest checkpoint, FINISHED; one WatchRun stream sees it all', async () => {
    const runsRoot = path.join(dir, 'killed');
    const s1 = await student();
    const { c } = await orchestrator(runsRoot, s1.address);
    await unary(c, 'StartRun', start('phoenix', 40));
    const watched = collect(c.WatchRun({ run_id: 'phoenix' }));
    await until(async () => (await get(c, 'phoenix')).step >= 7, 'step 7');

    s1.kill();
    const ckStep = latestStep(runsRoot, 'phoenix');
    const rec = await until(async () => { const r = await get(c, 'phoenix'); return r.phase === 'RECOVERING' && r; }, 'RECOVERING');
    assert.match(rec.error, /^student lost: /);
    await until(() => runJson(runsRoot, 'phoenix')['phase'] === 'RECOVERING', 'run.json RECOVERING');
    await sleep(200); // the orchestrator keeps polling a student that is not there

    const s2 = await student(s1.port);
    const done = await until(async () => { const r = await get(c, 'phoenix'); return r.phase === 'FINISHED' && r; }, 'FINISHED');
    assert.equal(done.step, 40);
    assert.equal(done.error, '');
    const resumes = s2.starts.filter((r) => r.run_id === 'phoenix');
    assert.equal(resumes.length, 1);
    assert.equal(resumes[0]!.resume, true);
    assert.equal(resumes[0]!.config_json, s1.starts[0]!.config_json, 'the same resolved config');
    const rj = await until(() => { const r = runJson(runsRoot, 'phoenix'); return r['phase'] === 'FINISHED' && r; }, 'run.json FINISHED');
    assert.equal(rj['restarts'], 1);

    const events: Progress__Output[] = await watched;
    const phases = events.map((e) => e.phase).filter((p, i, a) => i === 0 || a[i - 1] !== p);
    assert.deepEqual(phases, ['RUNNING', 'RECOVERING', 'RUNNING', 'FINISHED'], phases.join(' → '));
    const firstAfter = events.findIndex((e, i) => i > 0 && events[i - 1]!.phase === 'RECOVERING' && e.phase === 'RUNNING');
    assert.equal(events[firstAfter]!.step, ckStep, 'continues at the checkpoint step');
  });

  it('a student that shuts down gracefully (its Watch ends mid-run) is recovered the same way', async () => {
    const runsRoot = path.join(dir, 'graceful');
    const s1 = await student();
    const { c } = await orchestrator(runsRoot, s1.address);
    await unary(c, 'StartRun', start('drained', 30));
    await until(async () => (await get(c, 'drained')).step >= 4, 'step 4');
    await s1.close();
    await until(async () => (await get(c, 'drained')).phase === 'RECOVERING', 'RECOVERING');
    const s2 = await student(s1.port);
    await until(async () => (await get(c, 'drained')).phase === 'FINISHED', 'FINISHED');
    assert.equal(s2.starts[0]!.resume, true);
    assert.equal(runJson(runsRoot, 'drained')['restarts'], 1);
  });

  it('a restarted orchestrator lists the runs from disk and re-attaches to a run the student still runs (WatchRun ends cleanly at the shutdown)', async () => {
    const runsRoot = path.join(dir, 'reattach');
    const s = await student(0, 20);
    const a = await orchestrator(runsRoot, s.address);
    // one run at a time per student: the short run first, then the long one
    await unary(a.c, 'StartRun', { ...start('finished-before', 3) });
    await until(async () => (await get(a.c, 'finished-before')).phase === 'FINISHED', 'the short run FINISHED');
    await unary(a.c, 'StartRun', start('survivor', 60));
    await until(async () => (await get(a.c, 'survivor')).step >= 3, 'step 3');
    const watch = collect(a.c.WatchRun({ run_id: 'survivor' }));
    await until(() => a.o.orch.registry.get('survivor')!.subscriberCount > 0, 'the WatchRun subscriber');
    await a.o.service.stop();
    const seen = await watch; // ends cleanly (status OK) when the orchestrator shuts down
    assert.ok(seen.length >= 1 && seen.every((e) => e.phase === 'RUNNING'));
    a.c.close();
    assert.equal(runJson(runsRoot, 'survivor')['phase'], 'RUNNING', 'shutting the orchestrator down leaves the phase');
    const stepAtStop = runJson(runsRoot, 'survivor')['step'] as number;

    const b = await orchestrator(runsRoot, s.address);
    const list = await unary(b.c, 'ListRuns', {});
    assert.deepEqual(list.runs.map((r) => r.run_id).sort(), ['finished-before', 'survivor']);
    assert.equal(list.runs.find((r) => r.run_id === 'finished-before')!.phase, 'FINISHED');
    assert.ok(b.o.orch.followed.includes('survivor'));
    assert.ok(!b.o.orch.followed.includes('finished-before'));
    await until(async () => (await get(b.c, 'survivor')).step > stepAtStop, 'progress seen by the new orchestrator');
    const done = await until(async () => { const r = await get(b.c, 'survivor'); return r.phase === 'FINISHED' && r; }, 'FINISHED', 20000);
    assert.equal(done.step, 60);
    assert.equal(s.starts.filter((r) => r.run_id === 'survivor').length, 1, 're-attached, not restarted');
    assert.equal(runJson(runsRoot, 'survivor')['restarts'], 0);
  });

  it('a restarted orchestrator resumes a run that its (also restarted) student lost', async () => {
    const runsRoot = path.join(dir, 'orphan');
    const s1 = await student();
    const a = await orchestrator(runsRoot, s1.address);
    await unary(a.c, 'StartRun', start('orphan', 30));
    await until(async () => (await get(a.c, 'orphan')).step >= 4, 'step 4');
    a.c.close();
    await a.o.service.stop();
    s1.kill();
    const s2 = await student(s1.port);
    const ck = latestStep(runsRoot, 'orphan');

    const b = await orchestrator(runsRoot, s2.address);
    await until(async () => (await get(b.c, 'orphan')).phase === 'FINISHED', 'FINISHED');
    const resumes = s2.starts.filter((r) => r.run_id === 'orphan');
    assert.equal(resumes.length, 1);
    assert.equal(resumes[0]!.resume, true);
    assert.equal(runJson(runsRoot, 'orphan')['restarts'], 1);
    assert.ok(ck >= 3);
  });

  it('StopRun while RECOVERING stops at the checkpoint on disk; the run is not resumed when a student returns', async () => {
    const runsRoot = path.join(dir, 'stop-recovering');
    const s1 = await student();
    const { c } = await orchestrator(runsRoot, s1.address);
    await unary(c, 'StartRun', start('halted', 100));
    await until(async () => (await get(c, 'halted')).step >= 4, 'step 4');
    s1.kill();
    await until(async () => (await get(c, 'halted')).phase === 'RECOVERING', 'RECOVERING');
    const r = await unary(c, 'StopRun', { run_id: 'halted' });
    assert.equal(r.phase, 'STOPPED');
    assert.equal(r.last_checkpoint, path.join(runsRoot, 'halted', 'checkpoints', `step-${String(latestStep(runsRoot, 'halted')).padStart(7, '0')}.ckpt`));
    assert.match(r.error, /could not stop it/);
    const s2 = await student(s1.port);
    await sleep(300);
    assert.equal(s2.starts.length, 0);
    assert.equal((await get(c, 'halted')).phase, 'STOPPED');
  });

  it('gives the run up (FAILED) after orchestrator.maxRestarts automatic resumes', async () => {
    const runsRoot = path.join(dir, 'budget');
    const s1 = await student();
    const { c } = await orchestrator(runsRoot, s1.address, ['--orchestrator.maxRestarts', '0']);
    await unary(c, 'StartRun', start('fragile', 100));
    await until(async () => (await get(c, 'fragile')).step >= 2, 'step 2');
    s1.kill();
    await student(s1.port);
    const r = await until(async () => { const x = await get(c, 'fragile'); return x.phase === 'FAILED' && x; }, 'FAILED');
    assert.match(r.error, /gave up after 0 automatic restarts/);
  });
});
