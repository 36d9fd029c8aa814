/**
 * The orchestrator process's own settings (beside lib/services/process/config.ts's common
 * grpc / tls / auth / nats / metrics / log sections), as flags `--orchestrator.<field>` or
 * environment variables `SFDA_ORCHESTRATOR_<FIELD>` (e.g. SFDA_ORCHESTRATOR_STUDENT):
 *
 *   runsRoot        folder of the run directories
 *   The teacher/student pairs the runs are scheduled on — one of three forms:
 *   student + teacher   one pair (host:port each)
 *   students + teacher  several students sharing one teacher (a teacher holds several runs):
 *                   students = "h1:p1,h2:p2"
 *   pairs           several pairs: "student1=teacher1,student2=teacher2" (host:port=host:port,
 *                   comma-separated; a teacher may appear in several pairs); student, students
 *                   and teacher must then be empty
 *                   A student runs one run at a time: StartRun takes a free pair (a student with
 *                   no active run) or QUEUES the run (FIFO) until one frees. Students must be
 *                   distinct; every student shares runsRoot (the run folders) with the orchestrator.
 *   defaultMode     sync | pipelined, for StartRun requests without a mode
 *   maxStaleness    staleness bound of pipelined runs that do not give one
 *   studentTls / teacherTls   use the common tls section (ca; cert + key as a client
 *                   certificate) on the connection to that service
 *   tlsServerName   name to verify the peers' certificates against (default: the address host)
 *   retryBaseMs / retryMaxMs / retries   backoff of calls to the student and of recovery
 *   maxRestarts     automatic resumes of a lost run before it is FAILED
 *   persistMs       run.json written at most this often between phase changes
 *   livenessMs      a silent progress stream is checked with GetState after this long
 *   callDeadlineMs / runCallDeadlineMs / predictDeadlineMs   deadlines of GetState/health,
 *                   of Student.StartRun/StopRun, and of one Teacher.Predict
 *   evalOverlays    colour overlays written by Evaluate with out_dir
 *   weightsHead / weightsBucket / headPollMs   optionally read each followed run's latest
 *                   published weights version from NATS (the common nats section)
 * The control token is the common auth.token: every Orchestrator call needs it when it is
 * set, and the orchestrator sends it on its calls to the student and the teacher.
 */
import path from 'node:path';
import { ConfigError, type Resolved, type Schema } from '../../config/schema.js';
import type { ClientTlsFiles } from '../grpc/index.js';
import type { CommonConfig } from '../process/config.js';
import { WeightStore } from '../sync/index.js';
import type { OrchestratorOptions } from './service.js';

export const ORCHESTRATOR_SCHEMA = {
  orchestrator: {
    type: 'object', doc: 'the orchestrator: its runs and the services it drives', fields: {
      runsRoot: { type: 'string', default: 'runs/services', doc: 'folder of the run directories (<runsRoot>/<run_id>: run.json, run.config.json, checkpoints/, ...); shared storage with the student' },
      student: { type: 'string', default: '', doc: 'host:port of the student service (one pair with teacher; or use students / pairs)' },
      students: { type: 'string', default: '', doc: 'comma-separated host:port of several students sharing teacher (one run each at a time)' },
      teacher: { type: 'string', default: '', doc: 'host:port of the teacher service (with student or students; passed to the student for its runs)' },
      pairs: { type: 'string', default: '', doc: 'teacher/student pairs "student1=teacher1,student2=teacher2" (host:port=host:port), instead of student/students/teacher' },
      defaultMode: { type: 'enum', values: ['sync', 'pipelined'], default: 'sync', doc: 'mode of runs started without one: sync (bit-identical to one process) or pipelined' },
      maxStaleness: { type: 'int', default: 2, min: 1, max: 1000000, doc: 'staleness bound (student step - teacher version) of pipelined runs started without one' },
      studentTls: { type: 'bool', default: false, doc: 'TLS to the student with the tls section (ca verifies it; cert + key are presented for mTLS)' },
      teacherTls: { type: 'bool', default: false, doc: 'TLS to the teacher with the tls section' },
      tlsServerName: { type: 'string', default: '', doc: 'name the peers\' certificates are verified against (empty: the address host)' },
      retryBaseMs: { type: 'int', default: 200, min: 1, doc: 'first backoff (ms) of retried calls to the student and of the recovery loop; doubles per retry' },
      retryMaxMs: { type: 'int', default: 10000, min: 1, doc: 'backoff cap (ms)' },
      retries: { type: 'int', default: 5, min: 0, doc: 'retries of Student.StartRun / StopRun while the student is UNAVAILABLE' },
      maxRestarts: { type: 'int', default: 20, min: 0, doc: 'automatic resumes of a run whose student was lost, before the run is FAILED (restart budget)' },
      persistMs: { type: 'int', default: 1000, min: 0, doc: 'run.json is written at most this often between phase changes (ms)' },
      livenessMs: { type: 'int', default: 60000, min: 0, doc: 'without a progress event for this long, check the student with GetState (ms; 0: never)' },
      callDeadlineMs: { type: 'int', default: 30000, min: 100, doc: 'deadline of GetState and health calls to the student (ms)' },
      runCallDeadlineMs: { type: 'int', default: 300000, min: 100, doc: 'deadline of Student.StartRun / StopRun: loading the models, finishing a step and writing the stop checkpoint (ms)' },
      predictDeadlineMs: { type: 'int', default: 300000, min: 100, doc: 'deadline of one Teacher.Predict batch during Evaluate (ms)' },
      evalOverlays: { type: 'int', default: 8, min: 0, doc: 'colour overlays written by Evaluate when out_dir is given' },
      weightsHead: { type: 'bool', default: false, doc: 'read the latest published weights version of every followed run from NATS (the nats section) into run.json and sfda_weights_published_version' },
      weightsBucket: { type: 'string', default: 'sfda-weights', doc: 'bucket prefix of the weight snapshots (the KV bucket <prefix>-head)' },
      headPollMs: { type: 'int', default: 5000, min: 50, doc: 'how often the published versions are read (ms)' },
    },
  },
} as const satisfies Schema;

export type OrchestratorSettings = Resolved<typeof ORCHESTRATOR_SCHEMA> & CommonConfig;

/** Client TLS from the common tls section (undefined: plaintext). */
export function clientTls(cfg: CommonConfig, serverName: string): ClientTlsFiles {
  if (cfg.tls.cert && !cfg.tls.key) throw new ConfigError('tls.key', 'a client certificate (tls.cert) needs tls.key');
  return {
    ...(cfg.tls.ca ? { ca: cfg.tls.ca } : {}),
    ...(cfg.tls.cert && cfg.tls.key ? { cert: cfg.tls.cert, key: cfg.tls.key } : {}),
    ...(serverName ? { serverName } : {}),
  };
}

const ADDRESS = /^[^\s:=,]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$|^[a-z]+:[^\s=,]+$/;

function checkAddress(field: string, a: string, what: string): string {
  if (!ADDRESS.test(a)) throw new ConfigError(field, `'${a}' is not host:port${what ? ` (${what})` : ''}`);
  return a;
}

/**
 * The teacher/student pairs of the settings (see the header): student + teacher, students +
 * teacher, or pairs. Errors name the field.
 */
export function parsePairs(o: { student: string; students: string; teacher: string; pairs: string }): { student: string; teacher: string }[] {
  const out: { student: string; teacher: string }[] = [];
  if (o.pairs.trim()) {
    for (const k of ['student', 'students', 'teacher'] as const) {
      if (o[k]) throw new ConfigError('orchestrator.pairs', `give either orchestrator.pairs or orchestrator.${k} (student/students + teacher), not both`);
    }
    const items = o.pairs.split(',').map((x) => x.trim());
    items.forEach((item, i) => {
      const parts = item.split('=');
      if (parts.length !== 2 || !parts[0]!.trim() || !parts[1]!.trim()) throw new ConfigError('orchestrator.pairs', `item ${i + 1} '${item}' is not student=teacher (host:port=host:port)`);
      out.push({ student: checkAddress('orchestrator.pairs', parts[0]!.trim(), `student of item ${i + 1}`), teacher: checkAddress('orchestrator.pairs', parts[1]!.trim(), `teacher of item ${i + 1}`) });
    });
  } else {
    if (o.student && o.students) throw new ConfigError('orchestrator.students', 'give either orchestrator.student or orchestrator.students, not both');
    if (!o.student && !o.students) throw new ConfigError('orchestrator.student', 'required: host:port of the student service (--orchestrator.student or SFDA_ORCHESTRATOR_STUDENT; or orchestrator.students / orchestrator.pairs)');
    if (!o.teacher) throw new ConfigError('orchestrator.teacher', 'required: host:port of the teacher service (--orchestrator.teacher or SFDA_ORCHESTRATOR_TEACHER; or orchestrator.pairs)');
    const teacher = checkAddress('orchestrator.teacher', o.teacher, '');
    if (o.student) out.push({ student: checkAddress('orchestrator.student', o.student, ''), teacher });
    else {
      o.students.split(',').map((x) => x.trim()).forEach((s, i) => {
        if (!s) throw new ConfigError('orchestrator.students', `item ${i + 1} is empty`);
        out.push({ student: checkAddress('orchestrator.students', s, `item ${i + 1}`), teacher });
      });
    }
  }
  const field = o.pairs.trim() ? 'orchestrator.pairs' : 'orchestrator.students';
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.student)) throw new ConfigError(field, `student ${p.student} appears twice (a student runs one run at a time; list it once)`);
    seen.add(p.student);
  }
  return out;
}

/** The Orchestrator's options from the process settings (everything but logger and metrics). */
export function orchestratorOptions(cfg: OrchestratorSettings): Omit<OrchestratorOptions, 'logger' | 'metrics'> {
  const o = cfg.orchestrator;
  const pairs = parsePairs(o);
  if (o.retryMaxMs < o.retryBaseMs) throw new ConfigError('orchestrator.retryMaxMs', `must be ≥ orchestrator.retryBaseMs (${o.retryBaseMs})`);
  return {
    runsRoot: path.resolve(o.runsRoot),
    pairs: pairs.map((p) => ({
      student: { address: p.student, ...(o.studentTls ? { tls: clientTls(cfg, o.tlsServerName) } : {}) },
      teacher: { address: p.teacher, ...(o.teacherTls ? { tls: clientTls(cfg, o.tlsServerName) } : {}) },
    })),
    ...(cfg.auth.token ? { token: cfg.auth.token } : {}),
    defaultMode: o.defaultMode,
    maxStaleness: o.maxStaleness,
    policy: { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs, retries: o.retries },
    maxRestarts: o.maxRestarts,
    persistMs: o.persistMs,
    livenessMs: o.livenessMs,
    callDeadlineMs: o.callDeadlineMs,
    runCallDeadlineMs: o.runCallDeadlineMs,
    predictDeadlineMs: o.predictDeadlineMs,
    maxMessageBytes: cfg.grpc.maxMessageBytes,
    evalOverlays: o.evalOverlays,
    ...(o.weightsHead ? { weightsHead: { pollMs: o.headPollMs, open: () => openWeightStore(cfg) } } : {}),
  };
}

/** The weight store of the common nats section (read-only use: head pointers). */
export function openWeightStore(cfg: OrchestratorSettings): Promise<WeightStore> {
  const n = cfg.nats;
  return WeightStore.open({
    servers: n.servers.split(',').map((s) => s.trim()).filter((s) => s !== ''), name: 'orchestrator', bucketPrefix: cfg.orchestrator.weightsBucket,
    ...(n.user || n.pass ? { user: n.user, pass: n.pass } : {}), ...(n.token ? { token: n.token } : {}), ...(n.creds ? { credsFile: n.creds } : {}),
    // a head read must not outlive a few polls: a NATS outage is waited out by the next poll
    outageBudgetMs: Math.min(30_000, cfg.orchestrator.headPollMs * 2),
    requestTimeoutMs: Math.max(500, Math.min(5000, cfg.orchestrator.headPollMs * 2)),
  });
}
