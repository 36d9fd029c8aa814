/**
 * Many runs at once, with real processes: nats-server, ONE teacher, TWO students and the
 * orchestrator with both pairs (orchestrator.pairs). Three tiny runs are started at once: two
 * run in parallel (one per student), the third is QUEUED and starts when a pair frees. The
 * students of the two first runs are killed together mid-run and restarted on the same ports: each run goes RECOVERING and is
 * resumed on the SAME pair from its checkpoint. All three FINISH, never two at a time on one
 * student, and `sfda list --json` lists them FINISHED with their pairs.
 */
import { writeTinySourceModel } from '../helpers/tiny-model.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bearerMetadata } from '../../lib/services/grpc/auth.js';
import { makeClient, unary } from '../../lib/services/grpc/client.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { startServiceProcess, type ServiceProcess } from '../../lib/services/local/service-process.js';

const TOKEN = 'many-runs-token';
const SFDA = fileURLToPath(new URL('../../orchestrator/cli/sfda.js', import.meta.url));

describe('many runs at once: one teacher, two students, a queue (real processes)', function () {
  this.timeout(300_000);
  let dir = '';
  let nats: NatsServerHandle | undefined;
  let teacher: ServiceProcess;
  const students: ServiceProcess[] = [];
  let orch: ServiceProcess;
  const procs: ServiceProcess[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-many-'));
    await writeTinySourceModel(path.join(dir, 'source.model.ckpt'));
    nats = await startNatsServer();
    const common = ['--nats.servers', nats.url, '--auth.token', TOKEN, '--log.level', 'warn', '--metrics.enabled', 'false'];
    teacher = await startServiceProcess('teacher-service', common);
    procs.push(teacher);
    for (let i = 0; i < 2; i++) {
      const s = await startServiceProcess('student-service', [...common, '--student.teacher', teacher.address]);
      students.push(s);
      procs.push(s);
    }
    orch = await startServiceProcess('orchestrator', [
      ...common, '--orchestrator.pairs', students.map((s) => `${s.address}=${teacher.address}`).join(','),
      '--orchestrator.runsRoot', path.join(dir, 'runs'), '--orchestrator.retryBaseMs', '100', '--orchestrator.retryMaxMs', '1000',
    ]);
    procs.push(orch);
  });

  after(async () => {
    await Promise.allSettled(procs.map((p) => p.kill()));
    await nats?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two run in parallel, the third is QUEUED; each run whose student is killed resumes on the same pair; all FINISH; sfda list shows the pairs', async () => {
    const config = {
      iterations: 40, batch: 2, seed: 4,
      target: { source: 'synthstreet', style: 'dusk', count: 6, width: 64, height: 48 },
      augment: { cropWidth: 48, cropHeight: 40 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1, checkpointEvery: 2 },
    };
    const c = makeClient('Orchestrator', orch.address, { deadlineMs: 60_000 });
    const md = bearerMetadata(TOKEN);
    const ids = ['r1', 'r2', 'r3'];
    try {
      const replies = await Promise.all(ids.map((run_id) => unary(c, 'StartRun', {
        run_id, config_json: JSON.stringify(config), source_model: path.join(dir, 'source.model.ckpt'), mode: 'sync', max_staleness: 0, overrides: {},
      }, { metadata: md })));
      const queued = replies.filter((r) => r.phase === 'QUEUED');
      assert.equal(queued.length, 1, JSON.stringify(replies.map((r) => [r.run_id, r.phase, r.student])));
      const started = replies.filter((r) => r.phase !== 'QUEUED');
      assert.deepEqual(started.map((r) => r.student).sort(), students.map((s) => s.address).sort(), 'one run on each student');
      assert.ok(started.every((r) => r.teacher === teacher.address), 'both pairs share the teacher');
      const queuedId = queued[0]!.run_id;

      const phases = new Map<string, Set<string>>(ids.map((id) => [id, new Set<string>()]));
      // each first-wave run has its student killed once, mid-run
      const killed = new Map<string, { student: ServiceProcess; address: string }>();
      let runs = (await unary(c, 'ListRuns', {}, { metadata: md })).runs;
      const deadline = Date.now() + 240_000;
      while (!runs.every((r) => r.phase === 'FINISHED' || r.phase === 'FAILED') && Date.now() < deadline) {
        for (const r of runs) phases.get(r.run_id)?.add(r.phase);
        // never two active runs on one student
        const active = runs.filter((r) => ['STARTING', 'RUNNING', 'RECOVERING', 'STOPPING'].includes(r.phase));
        assert.equal(new Set(active.map((r) => r.student)).size, active.length, JSON.stringify(active.map((r) => [r.run_id, r.phase, r.student])));
        // once both first-wave runs are past their first checkpoint (step 2), kill both of their
        // students at once and start them again on the same ports
        const wave = runs.filter((r) => r.run_id !== queuedId && r.phase === 'RUNNING' && Number(r.step) >= 3 && Number(r.step) < 37);
        if (killed.size === 0 && wave.length === 2) {
          const victims = wave.map((r) => ({ run: r.run_id, s: students.find((x) => x.address === r.student)! }));
          for (const v of victims) killed.set(v.run, { student: v.s, address: v.s.address });
          await Promise.all(victims.map((v) => v.s.kill()));
          await new Promise((r) => setTimeout(r, 200));
          await Promise.all(victims.map((v) => v.s.restart()));
        }
        await new Promise((r) => setTimeout(r, 100));
        runs = (await unary(c, 'ListRuns', {}, { metadata: md })).runs;
      }
      for (const r of runs) phases.get(r.run_id)?.add(r.phase);
      const logs = () => students.map((s) => s.log().slice(-1500)).join('\n---\n') + '\n---\n' + orch.log().slice(-1500);
      assert.deepEqual(runs.map((r) => [r.run_id, r.phase]), ids.map((id) => [id, 'FINISHED']), `${JSON.stringify(runs.map((r) => [r.run_id, r.phase, r.error]))}\n${logs()}`);
      assert.deepEqual([...killed.keys()].sort(), ids.filter((id) => id !== queuedId).sort(), `the student of each first-wave run was killed mid-run; killed: ${[...killed.keys()]}; phases: ${JSON.stringify([...phases].map(([k, v]) => [k, [...v]]))}`);
      assert.ok(phases.get(queuedId)!.has('QUEUED'), `the third run was seen QUEUED: ${[...phases.get(queuedId)!].join(', ')}`);
      // (RECOVERING can come and go between two polls; run.json's restart count below is the record)
      for (const k of killed.values()) assert.equal(k.student.address, k.address, 'restarted on the same port');

      for (const id of ids) {
        // run.json is written right after the phase change that ListRuns already shows
        const readRun = () => JSON.parse(fs.readFileSync(path.join(dir, 'runs', id, 'run.json'), 'utf8')) as { phase: string; student: string; teacher: string; restarts: number; step: number };
        let rj = readRun();
        for (let i = 0; i < 50 && rj.phase !== 'FINISHED'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          rj = readRun();
        }
        assert.equal(rj.phase, 'FINISHED');
        assert.equal(rj.step, config.iterations);
        assert.ok(students.some((s) => s.address === rj.student), `${id}: student ${rj.student}`);
        assert.equal(rj.teacher, teacher.address);
        const k = killed.get(id);
        if (k) {
          assert.equal(rj.student, k.address, 'resumed on the SAME pair');
          assert.ok(rj.restarts >= 1, `restarts ${rj.restarts}`);
        }
        assert.ok(fs.existsSync(path.join(dir, 'runs', id, 'model.onnx')), `${id}: model.onnx`);
      }

      const { stdout } = await promisify(execFile)(process.execPath, [SFDA, 'list', '--json', '--orchestrator', orch.address, '--token', TOKEN]);
      const listed = JSON.parse(stdout) as { run_id: string; phase: string; student: string; teacher: string }[];
      assert.deepEqual(listed.map((r) => r.run_id).sort(), ids);
      for (const r of listed) {
        assert.equal(r.phase, 'FINISHED');
        assert.ok(students.some((s) => s.address === r.student), `${r.run_id}: student ${r.student}`);
        assert.equal(r.teacher, teacher.address);
      }
      const table = await promisify(execFile)(process.execPath, [SFDA, 'list', '--orchestrator', orch.address, '--token', TOKEN]);
      assert.match(table.stdout, /PAIR/);
      for (const r of listed) assert.match(table.stdout, new RegExp(`${r.run_id} +FINISHED .*${r.student.replace(/[.[\]]/g, '\\$&')}=${r.teacher.replace(/[.[\]]/g, '\\$&')}`));
    } finally {
      c.close();
    }
  });
});
