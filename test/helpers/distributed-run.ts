/**
 * Shared by the distributed-run tests (test/services/distributed.test.ts,
 * test/services/imported-distributed.test.ts): a run started on a real student service process
 * (Student.StartRun) and followed to its end, and the comparison of a run folder with the
 * single-process oracle's (every per-step loss bit-identical, the same final mIoU).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeClient, unary } from '../../lib/services/grpc/client.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { startServiceProcess, type ServiceProcess } from '../../lib/services/local/service-process.js';

export type StepRecord = Record<string, number | string>;

/** The per-step metrics a run compares bit for bit with the single-process run. */
export const STEP_KEYS = ['loss', 'student_loss', 'metric_loss', 'mean_reliability', 'mixed_fraction', 'mean_weight', 'lr', 'teacher_version'] as const;

/** The per-step records of a run folder's metrics.jsonl (no event records). */
export function steps(dir: string): StepRecord[] {
  return fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepRecord).filter((r) => r['kind'] === undefined);
}

/** Asserts that the run in `got` reproduces the run in `want`: the same steps, every STEP_KEYS value equal, the same final mIoU. */
export function assertSameRun(got: string, want: string): void {
  const a = steps(got), b = steps(want);
  assert.deepEqual(a.map((r) => r['step']), b.map((r) => r['step']), 'the same iterations');
  for (let i = 0; i < b.length; i++) {
    for (const k of STEP_KEYS) {
      if (b[i]![k] === undefined) continue;
      assert.equal(a[i]![k], b[i]![k], `step ${b[i]!['step']}: ${k} ${a[i]![k]} vs single-process ${b[i]![k]}`);
    }
  }
  const ra = JSON.parse(fs.readFileSync(path.join(got, 'results.json'), 'utf8')), rb = JSON.parse(fs.readFileSync(path.join(want, 'results.json'), 'utf8'));
  assert.equal(ra.teacher.mIoU, rb.teacher.mIoU, 'final teacher mIoU');
  assert.equal(ra.student.mIoU, rb.student.mIoU, 'final student mIoU');
}

export interface StudentRunOptions {
  readonly id: string;
  readonly runDir: string;
  readonly config: Record<string, unknown>;
  readonly sourceModel: string;
  readonly mode?: 'sync' | 'pipelined';
  readonly resume?: boolean;
  readonly maxStaleness?: number;
  /** Called once, when the run has reached step 2 (fault injection). */
  readonly during?: (step: number) => Promise<void>;
}

/**
 * Starts a run on the student and waits for its end, polling GetState; resolves with the final
 * phase (FINISHED or STOPPED), rejects when the run FAILED (with the student's log) or the
 * student went away. `student` and `teacher` are read at call time (a restarted process keeps
 * its handle).
 */
export async function runOnStudent(student: ServiceProcess, teacher: ServiceProcess, o: StudentRunOptions): Promise<string> {
  const c = makeClient('Student', student.address, { deadlineMs: 30_000 });
  try {
    await unary(c, 'StartRun', {
      run_id: o.id, run_dir: o.runDir, config_json: JSON.stringify(o.config), source_model: o.sourceModel, resume: o.resume ?? false,
      mode: o.mode === 'pipelined' ? 'SYNC_MODE_PIPELINED' : 'SYNC_MODE_SYNC', max_staleness: o.maxStaleness ?? 2, teacher_address: teacher.address,
    });
    let fired = false;
    for (;;) {
      const st = await unary(c, 'GetState', { run_id: o.id });
      if (st.phase === 'FINISHED' || st.phase === 'FAILED' || st.phase === 'STOPPED') {
        if (st.phase === 'FAILED') throw new Error(`run failed: ${st.error}\n--- student log:\n${student.log().slice(-2000)}\n--- teacher log:\n${teacher.log().slice(-2000)}`);
        return st.phase;
      }
      if (o.during && !fired && Number(st.step) >= 2) {
        fired = true;
        await o.during(Number(st.step));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    c.close();
  }
}

/** A real nats-server and the teacher and student service processes wired to it. */
export interface TeacherStudent {
  readonly nats: NatsServerHandle;
  teacher: ServiceProcess;
  student: ServiceProcess;
  /** Kills both processes and removes the NATS store. */
  stop(): Promise<void>;
}

export async function startTeacherStudent(): Promise<TeacherStudent> {
  const nats = await startNatsServer();
  const common = ['--nats.servers', nats.url, '--metrics.enabled', 'false', '--log.level', 'warn'];
  const teacher = await startServiceProcess('teacher-service', common);
  const student = await startServiceProcess('student-service', [...common, '--student.teacher', teacher.address]);
  const ts: TeacherStudent = {
    nats, teacher, student,
    stop: async () => {
      await Promise.allSettled([ts.student.kill(), ts.teacher.kill()]);
      await nats.cleanup();
    },
  };
  return ts;
}
