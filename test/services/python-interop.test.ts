/**
 * The sfda.v1 contract from another language: the Python client (tools/python-client) against
 * the real processes — a real nats-server, the teacher, the student and the orchestrator
 * services as child processes on loopback. The stubs are generated with grpcio-tools into a
 * temporary folder (tools/python-client/generate.py), then tools/python-client/interop.py runs
 * as a child process: Teacher LoadRun / Label (float32, 8- and 16-bit maps) / Predict /
 * GetState, malformed requests → INVALID_ARGUMENT, the bearer token, and an orchestrated run
 * (ListRuns, StartRun, GetRun, WatchRun to FINISHED, Evaluate, Export). It must exit 0 with its
 * summary line; the run it drove is then checked on disk from this side.
 *
 * - plaintext with a bearer token;
 * - TLS everywhere (the services among themselves too) with a bearer token — skipped, saying so,
 *   when openssl is not installed (it makes the certificates);
 * - a failing check (the teacher unreachable) exits non-zero naming the step.
 *
 * Needs python3 with grpcio, grpcio-tools and numpy: when they are missing the tests FAIL (CI
 * installs them): python3 -m pip install -r tools/python-client/requirements.txt
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, saveSegModel } from '../../lib/model/model-file.js';
import { hasOpenssl, makeCerts } from '../helpers/certs.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { startServiceProcess, type ServiceProcess } from '../../lib/services/local/service-process.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
const CLIENT_DIR = path.resolve('tools', 'python-client');
const REQUIREMENTS = 'tools/python-client/requirements.txt';
const INSTALL = `${PYTHON} -m pip install -r ${REQUIREMENTS}`;
const TOKEN = 'py-interop-token';

/** Why the Python side cannot run (undefined: it can). */
function pythonProblem(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools, numpy, google.protobuf; print(grpc.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.status}`;
  return undefined;
}

interface PyResult { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs a Python script as a child process (asynchronously: the services keep being served). */
function runPython(args: readonly string[], timeoutMs: number): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

interface Stack { teacher: ServiceProcess; student: ServiceProcess; orchestrator: ServiceProcess; runsRoot: string }

describe('Python gRPC client interop (real nats-server, teacher, student and orchestrator processes)', function () {
  this.timeout(240_000);
  let dir = '';
  let stubs = '';
  let nats: NatsServerHandle | undefined;
  const procs: ServiceProcess[] = [];
  const configPath = () => path.join(dir, 'config.json');
  const sourcePath = () => path.join(dir, 'source.model.ckpt');

  async function startStack(name: string, extra: readonly string[], orchestratorExtra: readonly string[] = []): Promise<Stack> {
    const common = ['--nats.servers', nats!.url, '--metrics.enabled', 'false', '--log.level', 'warn', '--auth.token', TOKEN, ...extra];
    const teacher = await startServiceProcess('teacher-service', common);
    procs.push(teacher);
    const student = await startServiceProcess('student-service', [...common, '--student.teacher', teacher.address]);
    procs.push(student);
    const runsRoot = path.join(dir, `runs-${name}`);
    const orchestrator = await startServiceProcess('orchestrator', [
      ...common, '--orchestrator.student', student.address, '--orchestrator.teacher', teacher.address, '--orchestrator.runsRoot', runsRoot, ...orchestratorExtra,
    ]);
    procs.push(orchestrator);
    return { teacher, student, orchestrator, runsRoot };
  }

  function logs(s: Stack): string {
    return ['teacher', 'student', 'orchestrator'].map((k) => `--- ${k} stderr:\n${(s as unknown as Record<string, ServiceProcess>)[k]!.log().slice(-1500)}`).join('\n');
  }

  /** interop.py against a stack; asserts exit 0 and the summary; returns the summary line and stdout. */
  async function interop(s: Stack, runId: string, extra: readonly string[]): Promise<{ summary: string; stdout: string }> {
    const exportPath = path.join(dir, `export-${runId}`, 'model.onnx');
    const res = await runPython([
      path.join(CLIENT_DIR, 'interop.py'), '--teacher', s.teacher.address, '--orchestrator', s.orchestrator.address, '--student', s.student.address,
      '--source-model', sourcePath(), '--config', configPath(), '--token', TOKEN, '--iterations', '3', '--run-id', runId,
      '--export', exportPath, '--stubs', stubs, '--run-timeout', '180', ...extra,
    ], 200_000);
    const out = `exit ${res.code}${res.signal ? ` (${res.signal})` : ''}\n--- interop stdout:\n${res.stdout.slice(-6000)}\n--- interop stderr:\n${res.stderr.slice(-3000)}\n${logs(s)}`;
    assert.equal(res.code, 0, `interop.py failed: ${out}`);
    const summary = res.stdout.trim().split('\n').pop() ?? '';
    const m = /^interop: OK (\d+) checks; .*run (\S+) FINISHED 3\/3 steps/.exec(summary);
    assert.ok(m, `no OK summary line: ${out}`);
    assert.ok(Number(m[1]) >= 60, `only ${m[1]} checks ran: ${out}`);
    assert.equal(m[2], runId);
    for (const step of ['Teacher.LoadRun', 'Teacher.Label quantised', 'Teacher.Predict', 'Teacher malformed requests', 'Teacher.GetState',
      'Orchestrator.StartRun', 'Orchestrator.WatchRun', 'Orchestrator.Evaluate', 'Orchestrator.Export', 'Student.GetState', 'auth']) {
      assert.match(res.stdout, new RegExp(`^  ok  ${step.replace('.', '\\.')}: `, 'm'), `step ${step} did not report: ${out}`);
    }
    assert.match(res.stdout, /Label with a tensor 4 bytes short → INVALID_ARGUMENT/);
    // the run it drove, seen from this side
    const rec = JSON.parse(fs.readFileSync(path.join(s.runsRoot, runId, 'run.json'), 'utf8')) as { phase: string; step: number; iterations: number };
    assert.deepEqual([rec.phase, rec.step, rec.iterations], ['FINISHED', 3, 3]);
    assert.ok(fs.statSync(exportPath).size > 0, 'the exported model');
    return { summary, stdout: res.stdout };
  }

  before(async function () {
    const problem = pythonProblem();
    if (problem) {
      throw new Error(`the Python interop test needs ${PYTHON} (3.8+) with grpcio, grpcio-tools and numpy: ${problem}. `
        + `Install the client requirements: \`${INSTALL}\` (CI does)`);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-pyinterop-'));
    stubs = path.join(dir, 'gen');
    const gen = await runPython([path.join(CLIENT_DIR, 'generate.py'), '--out', stubs], 60_000);
    assert.equal(gen.code, 0, `generate.py failed:\n${gen.stdout}${gen.stderr}`);
    for (const m of ['common_pb2.py', 'teacher_pb2_grpc.py', 'student_pb2_grpc.py', 'orchestrator_pb2_grpc.py', 'teacher_pb2.pyi']) {
      assert.ok(fs.existsSync(path.join(stubs, 'sfda', 'v1', m)), `generate.py did not write sfda/v1/${m}`);
    }
    const spec = smallDeepLabSpec({ widths: [8, 8, 16, 16], stemWidth: 8, numClasses: 11, asppDilations: [1, 2], bn: 'train', seed: 3 });
    const { g } = createDeepLab(spec, 1, 33, 33);
    await saveSegModel(sourcePath(), {
      meta: { format: 'stvm-segmodel', version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes: PROTOCOLS.camvid11.classes, inputSize: [64, 48] },
      tensors: new Map(g.graph.initializers),
    });
    fs.writeFileSync(configPath(), JSON.stringify({
      name: 'stvm', iterations: 6, batch: 2, seed: 5, source: sourcePath(),
      target: { source: 'synthstreet', style: 'dusk', count: 6, width: 64, height: 48 },
      augment: { cropWidth: 48, cropHeight: 40 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1, checkpointEvery: 2 },
    }, null, 2));
    nats = await startNatsServer();
  });

  after(async () => {
    await Promise.allSettled(procs.map((p) => p.kill()));
    await nats?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plaintext + bearer token: interop.py exercises Teacher and Orchestrator and exits 0 with its summary', async () => {
    const s = await startStack('plain', []);
    const { summary } = await interop(s, 'py-interop-plain', []);
    assert.match(summary, /8\/16-bit maps in bound, weights v0 [0-9a-f]{12}/);
  });

  it('TLS everywhere + bearer token: the Python client verifies the servers with the CA; plaintext is refused', async function () {
    if (!hasOpenssl()) {
      console.log('      openssl not found on PATH: the TLS interop test is skipped (it makes its certificates with openssl)');
      this.skip();
    }
    const c = makeCerts(path.join(dir, 'certs'));
    const s = await startStack('tls', ['--tls.cert', c.serverCert, '--tls.key', c.serverKey, '--tls.ca', c.ca], ['--orchestrator.studentTls', 'true', '--orchestrator.teacherTls', 'true']);
    const { stdout } = await interop(s, 'py-interop-tls', ['--ca', c.ca]);
    assert.match(stdout, /^  ok  tls: Teacher\.GetState over plaintext to the TLS server → UNAVAILABLE/m);
  });

  it('a failing check exits non-zero and names the step (teacher unreachable)', async () => {
    const res = await runPython([
      path.join(CLIENT_DIR, 'interop.py'), '--teacher', '127.0.0.1:1', '--orchestrator', '127.0.0.1:1', '--source-model', sourcePath(),
      '--config', configPath(), '--stubs', stubs, '--call-timeout', '10', '--quiet',
    ], 60_000);
    assert.equal(res.code, 1, `exit ${res.code}\n${res.stdout}${res.stderr}`);
    assert.match(res.stderr, /^interop: FAILED at Teacher\.LoadRun: .*UNAVAILABLE/m);
    assert.doesNotMatch(res.stdout, /interop: OK/);
  });
});
