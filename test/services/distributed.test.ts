/**
 * The distributed run against the single-process oracle, with real parts: a real nats-server,
 * the teacher and student services as real child processes on loopback, gRPC in between.
 *
 * - equivalence: a 'sync' run reproduces the single-process run with the same seed — every
 *   per-step loss bit-identical and the same final mIoU;
 * - the same with train-mode BN started from AdaBN (stvm.bn.mode 'adabn-train': BN tensors in
 *   the weight snapshots, the AdaBN start model handed to the teacher);
 * - 'pipelined': the run finishes with staleness within its bound;
 * - faults, each checked against the same oracle (the run must still reproduce it exactly, so
 *   no step was lost or applied twice): the teacher killed mid-run and restarted; the student
 *   killed and the run resumed on a new student; nats-server restarted mid-run; SIGTERM on the
 *   student (checkpoint, exit 0, then resume).
 */
import { writeTinySourceModel } from '../helpers/tiny-model.js';
import { assertSameRun, runOnStudent as runOn, startTeacherStudent, steps, type TeacherStudent } from '../helpers/distributed-run.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { adaptRun } from '../../lib/train/adapt-run.js';
import type { NatsServerHandle } from '../../lib/services/local/nats-server.js';
import type { ServiceProcess } from '../../lib/services/local/service-process.js';

describe('distributed run (real nats-server, teacher and student processes)', function () {
  this.timeout(240_000);
  let dir = '';
  let pair: TeacherStudent | undefined;
  let nats: NatsServerHandle;
  let teacher: ServiceProcess;
  let student: ServiceProcess;
  let config: Record<string, unknown>;
  let single = '';
  let n = 0;

  /** Starts a run on the student and waits for its end (test/helpers/distributed-run.ts). */
  const runOnStudent = (runDir: string, opts: { mode?: 'sync' | 'pipelined'; resume?: boolean; id?: string; during?: (step: number) => Promise<void> } = {}): Promise<string> =>
    runOn(student, teacher, { ...opts, id: opts.id ?? `run${++n}`, runDir, config, sourceModel: path.join(dir, 'source.model.ckpt') });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-dist-'));
    await writeTinySourceModel(path.join(dir, 'source.model.ckpt'));
    config = {
      name: 'stvm', iterations: 6, batch: 2, seed: 5, source: path.join(dir, 'source.model.ckpt'),
      target: { source: 'synthstreet', style: 'dusk', count: 6, width: 64, height: 48 },
      augment: { cropWidth: 48, cropHeight: 40 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1, checkpointEvery: 2 },
    };
    single = path.join(dir, 'single');
    await adaptRun({ cfg: validateAdaptConfig(config), out: single, resume: false, console: 'none', progress: false });
    pair = await startTeacherStudent();
    ({ nats, teacher, student } = pair);
  });

  after(async () => {
    await pair?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sync: every per-step loss and the final mIoU equal the single-process run's, bit for bit", async () => {
    const out = path.join(dir, 'sync');
    assert.equal(await runOnStudent(out), 'FINISHED');
    assertSameRun(out, single);
    for (const f of ['model.onnx', 'teacher.model.ckpt', 'student.model.ckpt']) assert.ok(fs.existsSync(path.join(out, f)), f);
  });

  it("sync with stvm.bn.mode 'adabn-train': the teacher starts from the run's AdaBN model and the BN tensors travel with the EMA snapshots — bit-identical to one process", async () => {
    const bnConfig = { ...config, stvm: { ...(config['stvm'] as Record<string, unknown>), bn: { mode: 'adabn-train', adabnImages: 4, adabnBatch: 2 } } };
    const bnSingle = path.join(dir, 'single-bn');
    await adaptRun({ cfg: validateAdaptConfig(bnConfig), out: bnSingle, resume: false, console: 'none', progress: false });
    const out = path.join(dir, 'sync-bn');
    assert.equal(await runOn(student, teacher, { id: `run${++n}`, runDir: out, config: bnConfig, sourceModel: path.join(dir, 'source.model.ckpt') }), 'FINISHED');
    assertSameRun(out, bnSingle);
    assert.ok(fs.existsSync(path.join(out, 'adabn.model.ckpt')));
  });

  it('pipelined: the run finishes with the teacher at most max_staleness behind', async () => {
    const out = path.join(dir, 'pipelined');
    assert.equal(await runOnStudent(out, { mode: 'pipelined' }), 'FINISHED');
    const st = steps(out).filter((r) => r['warmup'] === undefined);
    assert.ok(st.length > 0);
    for (const r of st) assert.ok((r['staleness'] as number) <= 2 + 1, `staleness ${r['staleness']} at step ${r['step']}`);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.ok(res.teacher.mIoU >= 0);
  });

  it('teacher killed mid-run and restarted: the run still reproduces the single-process run exactly', async () => {
    const out = path.join(dir, 'teacher-kill');
    const phase = await runOnStudent(out, { during: async () => { await teacher.kill(); await new Promise((r) => setTimeout(r, 300)); await teacher.restart(); } });
    assert.equal(phase, 'FINISHED');
    assert.match(fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8'), /teacher (lost the run|unavailable)/);
    assertSameRun(out, single);
  });

  it('nats-server restarted mid-run: everything reconnects and the run reproduces the oracle', async () => {
    const out = path.join(dir, 'nats-restart');
    const phase = await runOnStudent(out, { during: async () => { await nats.restart(); } });
    assert.equal(phase, 'FINISHED');
    assertSameRun(out, single);
  });

  it('student killed mid-run: a new student resumes the run from its checkpoint and reproduces the oracle', async () => {
    const out = path.join(dir, 'student-kill');
    const id = 'killed-student';
    await assert.rejects(runOnStudent(out, { id, during: async () => { await student.kill(); } }));
    await student.restart();
    assert.equal(await runOnStudent(out, { id, resume: true }), 'FINISHED');
    assertSameRun(out, single);
  });

  it('SIGTERM on the student: checkpoint, exit 0 within the deadline; the resumed run reproduces the oracle', async () => {
    const out = path.join(dir, 'sigterm');
    const id = 'sigterm';
    let code: number | null = -1;
    await assert.rejects(runOnStudent(out, { id, during: async () => { code = await student.stop(); } }));
    assert.equal(code, 0, `exit code ${code}:\n${student.log().slice(-2000)}`);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'latest.json')), 'a checkpoint was written on SIGTERM');
    await student.restart();
    assert.equal(await runOnStudent(out, { id, resume: true }), 'FINISHED');
    assertSameRun(out, single);
  });
});
