/**
 * lib/services/local: a real nats-server started by startLocalStack, with the three service
 * commands replaced by local-fake-service.js (binds its ports, prints the ready line), so the
 * supervisor is tested without the real services: wiring and token, stack.json, restarts on
 * the same ports after a kill (services and nats-server), a graceful restart, the restart
 * budget, a service that fails to start, and stop() leaving no process behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  findNatsServer, pidAlive, probeNats, readStack, startLocalStack, STACK_MEMBERS,
  type LocalStack, type NatsEntry, type ServiceEntry, type StackEvent, type StackInfo,
} from '../../lib/services/local/index.js';
import { fakeCommands } from './local-fixture.js';

function connects(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = net.connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** The recorded runs of one fake component: argv and token, by pid. */
function records(dir: string, component: string): Map<number, { argv: string[]; token: string | null }> {
  const out = new Map<number, { argv: string[]; token: string | null }>();
  for (const f of fs.readdirSync(dir)) {
    const m = new RegExp(`^${component}-(\\d+)\\.json$`).exec(f);
    if (m) out.set(Number(m[1]), JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  }
  return out;
}

function argAfter(argv: readonly string[], flag: string): string | undefined {
  const i = argv.lastIndexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('local stack (lib/services/local): a running stack', function () {
  this.timeout(60_000);
  let dir: string;
  let record: string;
  let stack: LocalStack;
  const events: StackEvent[] = [];
  const pids = new Set<number>();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-local-'));
    record = path.join(dir, 'record');
    fs.mkdirSync(record);
    stack = await startLocalStack({
      stateDir: path.join(dir, 'state'),
      token: 's3cret',
      commands: fakeCommands(),
      env: { FAKE_RECORD_DIR: record },
      teacherArgs: ['--teacher.threads', '2'],
      restart: { backoffMs: 20 },
      onEvent: (e) => events.push(e),
    });
    const s = stack.info();
    for (const m of STACK_MEMBERS) pids.add(s[m].pid);
  });
  after(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes stack.json: nats URL, every service\'s addresses and pid, the token; mode 0600', async () => {
    const s = readStack(path.join(dir, 'state'))!;
    assert.ok(s, 'stack.json exists');
    assert.equal(s.supervisor.pid, process.pid);
    assert.match(s.nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.nats.storeDir, path.join(dir, 'state', 'nats'));
    for (const svc of ['teacher', 'student', 'orchestrator'] as const) {
      assert.match(s[svc].grpc, /^127\.0\.0\.1:\d+$/);
      assert.match(s[svc].metrics!, /^127\.0\.0\.1:\d+$/);
      assert.ok(pidAlive(s[svc].pid));
      assert.ok(await connects(s[svc].grpc), `${svc} gRPC port accepts connections`);
      assert.equal(s[svc].log, path.join(dir, 'state', 'logs', `${svc}.log`));
      assert.match(fs.readFileSync(s[svc].log, 'utf8'), /fake service up/, 'stderr goes to the log');
    }
    assert.equal(s.token, 's3cret');
    assert.equal(fs.statSync(path.join(dir, 'state', 'stack.json')).mode & 0o777, 0o600);
    const port = Number(s.nats.url.split(':').pop());
    assert.ok(await probeNats('127.0.0.1', port), 'nats-server answers with INFO');
  });

  it('wires the services: NATS URL, ports 0, the teacher for the student, both for the orchestrator; token in the environment only', () => {
    const s = stack.info();
    const rec = (c: string) => [...records(record, c).values()][0]!;
    for (const c of ['teacher', 'student', 'orchestrator']) {
      const r = rec(c);
      assert.equal(argAfter(r.argv, '--nats.servers'), s.nats.url);
      assert.equal(argAfter(r.argv, '--grpc.port'), '0');
      assert.equal(argAfter(r.argv, '--metrics.port'), '0');
      assert.equal(r.token, 's3cret');
      assert.ok(!r.argv.includes('s3cret'), 'the token is not on the command line');
    }
    assert.equal(argAfter(rec('teacher').argv, '--teacher.threads'), '2', 'extra args are passed');
    assert.equal(argAfter(rec('student').argv, '--student.teacher'), s.teacher.grpc);
    assert.equal(argAfter(rec('orchestrator').argv, '--orchestrator.teacher'), s.teacher.grpc);
    assert.equal(argAfter(rec('orchestrator').argv, '--orchestrator.student'), s.student.grpc);
  });

  it('restarts a killed service on the same gRPC and metrics ports, and updates stack.json', async () => {
    const before = stack.info().student;
    const old = await stack.kill('student');
    assert.equal(old, before.pid);
    assert.ok(!pidAlive(old));
    const now = (await stack.waitReady('student', 20_000)) as ServiceEntry;
    pids.add(now.pid);
    assert.notEqual(now.pid, old);
    assert.equal(now.grpc, before.grpc);
    assert.equal(now.metrics, before.metrics);
    assert.ok(await connects(now.grpc));
    // restarted with the port it had
    assert.equal(argAfter(records(record, 'student').get(now.pid)!.argv, '--grpc.port'), before.grpc.split(':')[1]);
    const s = readStack(path.join(dir, 'state'))!;
    assert.equal(s.student.pid, now.pid);
    assert.equal(s.student.restarts, 1);
    const restarted = events.find((e) => e.type === 'restarted' && e.member === 'student');
    assert.ok(restarted && restarted.type === 'restarted' && restarted.oldPid === old && !restarted.requested);
    assert.ok(events.some((e) => e.type === 'exited' && e.member === 'student' && !e.expected && e.signal === 'SIGKILL'));
    const log = fs.readFileSync(path.join(dir, 'state', 'logs', 'supervisor.log'), 'utf8');
    assert.match(log, /"type":"restarted","member":"student"/, 'each restart is logged');
  });

  it('restarts a killed nats-server on the same port with the same store', async () => {
    const before = stack.info().nats;
    const old = await stack.kill('nats');
    const now = (await stack.waitReady('nats', 20_000)) as NatsEntry;
    pids.add(now.pid);
    assert.notEqual(now.pid, old);
    assert.equal(now.url, before.url);
    assert.ok(await probeNats('127.0.0.1', Number(now.url.split(':').pop())));
    assert.equal(readStack(path.join(dir, 'state'))!.nats.pid, now.pid);
  });

  it('restart(): graceful (SIGTERM), same port, outside the restart budget', async () => {
    const before = stack.info().teacher;
    const now = (await stack.restart('teacher')) as ServiceEntry;
    pids.add(now.pid);
    assert.notEqual(now.pid, before.pid);
    assert.equal(now.grpc, before.grpc);
    assert.ok(events.some((e) => e.type === 'exited' && e.member === 'teacher' && e.expected && e.code === 0), 'the fake exits 0 on SIGTERM');
    assert.ok(events.some((e) => e.type === 'restarted' && e.member === 'teacher' && e.requested));
  });

  it('stop() ends every process it ever started and removes stack.json', async () => {
    const s: StackInfo = stack.info();
    for (const m of STACK_MEMBERS) pids.add(s[m].pid);
    await stack.stop();
    for (const pid of pids) assert.ok(!pidAlive(pid), `pid ${pid} is gone`);
    assert.equal(readStack(path.join(dir, 'state')), undefined);
    const kinds = events.filter((e) => e.type === 'exited' && e.expected).map((e) => (e as { member: string }).member);
    assert.deepEqual(kinds.slice(-4), ['orchestrator', 'student', 'teacher', 'nats'], 'stop order');
    await stack.stop(); // idempotent
  });
});

describe('local stack (lib/services/local): failures and lookup', function () {
  this.timeout(60_000);
  let dir: string;
  let record: string;

  before(function () {
    if (!findNatsServer()) throw new Error('nats-server is needed (PATH, $NATS_SERVER_BIN or .tools/): tools/install-nats-server.sh');
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-local-'));
    record = path.join(dir, 'record');
    fs.mkdirSync(record);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives a crashing service up after its restart budget', async () => {
    const events: StackEvent[] = [];
    const stack = await startLocalStack({
      stateDir: path.join(dir, 'state'), commands: fakeCommands(), env: { FAKE_RECORD_DIR: record },
      restart: { maxRestarts: 2, backoffMs: 20 }, onEvent: (e) => events.push(e),
    });
    try {
      fs.writeFileSync(path.join(record, 'crash-student'), '');
      await stack.kill('student');
      await until(() => stack.state('student') === 'failed', 20_000, 'the student to be given up');
      const gaveUp = events.find((e) => e.type === 'gave-up');
      assert.ok(gaveUp && gaveUp.type === 'gave-up' && gaveUp.member === 'student');
      assert.equal(events.filter((e) => e.type === 'restarted' && e.member === 'student').length, 2);
      await assert.rejects(stack.waitReady('student', 1000), /restart budget/);
      assert.equal(stack.state('teacher'), 'up', 'the others stay up');
    } finally {
      await stack.stop();
    }
    const pids = [...records(record, 'student').keys(), ...records(record, 'teacher').keys(), ...records(record, 'orchestrator').keys()];
    for (const pid of pids) assert.ok(!pidAlive(pid), `pid ${pid} is gone`);
  });

  it('a service that fails to start: rejects with its log, and stops what was started', async () => {
    let natsPid: number | undefined;
    const started: number[] = [];
    await assert.rejects(
      startLocalStack({
        stateDir: path.join(dir, 'state'), env: { FAKE_RECORD_DIR: record },
        commands: { ...fakeCommands(), student: [process.execPath, '-e', 'console.error("student: unknown setting --x"); process.exit(2)', '--'] },
        onEvent: (e) => {
          if (e.type === 'started') started.push(e.pid);
          if (e.type === 'started' && e.member === 'nats') natsPid = e.pid;
        },
      }),
      (e: Error) => /student exited \(code 2\) before it was ready/.test(e.message) && /unknown setting --x/.test(e.message),
    );
    assert.ok(natsPid !== undefined && started.length === 2, 'nats and the teacher had started');
    for (const pid of started) assert.ok(!pidAlive(pid), `pid ${pid} is gone`);
    assert.equal(readStack(path.join(dir, 'state')), undefined);
  });

  it('findNatsServer: $NATS_SERVER_BIN, then <repo>/.tools, then PATH', () => {
    const root = path.join(dir, 'repo');
    const bin = path.join(root, '.tools', 'nats-server-v2.15.1-linux-amd64', 'nats-server');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
    const onPath = path.join(dir, 'path', 'nats-server');
    fs.mkdirSync(path.dirname(onPath));
    fs.writeFileSync(onPath, '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(findNatsServer({ PATH: path.dirname(onPath) }, root), bin);
    assert.equal(findNatsServer({ PATH: path.dirname(onPath) }, path.join(dir, 'elsewhere')), onPath);
    assert.equal(findNatsServer({ PATH: path.dirname(onPath), NATS_SERVER_BIN: onPath }, root), onPath);
    assert.equal(findNatsServer({ PATH: '' }, path.join(dir, 'elsewhere')), undefined);
  });
});

describe('local stack (lib/services/local): --students 2', function () {
  this.timeout(60_000);
  let dir: string;
  let record: string;
  let stack: LocalStack | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-local2-'));
    record = path.join(dir, 'record');
    fs.mkdirSync(record);
    stack = await startLocalStack({ stateDir: path.join(dir, 'state'), commands: fakeCommands(), env: { FAKE_RECORD_DIR: record }, restart: { backoffMs: 20 }, students: 2 });
  });
  after(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts two students on the teacher; stack.json lists both; the orchestrator gets them as orchestrator.students; a killed second student comes back on its port', async () => {
    const s = readStack(path.join(dir, 'state'))!;
    assert.equal(s.students?.length, 2);
    assert.deepEqual(s.students![0], s.student, 'student is the first of students');
    const [a, b] = s.students! as [ServiceEntry, ServiceEntry];
    assert.notEqual(a.grpc, b.grpc);
    assert.equal(b.log, path.join(dir, 'state', 'logs', 'student2.log'));
    assert.ok(await connects(b.grpc));
    const studentRecs = [...records(record, 'student').values()];
    assert.equal(studentRecs.length, 2);
    for (const r of studentRecs) assert.equal(argAfter(r.argv, '--student.teacher'), s.teacher.grpc);
    const orch = [...records(record, 'orchestrator').values()][0]!;
    assert.equal(argAfter(orch.argv, '--orchestrator.students'), `${a.grpc},${b.grpc}`);
    assert.equal(argAfter(orch.argv, '--orchestrator.teacher'), s.teacher.grpc);
    assert.ok(!orch.argv.includes('--orchestrator.student'));

    const old = await stack!.kill('student2');
    const now = (await stack!.waitReady('student2', 20_000)) as ServiceEntry;
    assert.notEqual(now.pid, old);
    assert.equal(now.grpc, b.grpc, 'the same port');
    await until(() => readStack(path.join(dir, 'state'))!.students![1]!.pid === now.pid, 10_000, 'stack.json updated');

    const pids = [s.nats.pid, s.teacher.pid, a.pid, now.pid, s.orchestrator.pid];
    await stack!.stop();
    stack = undefined;
    for (const p of pids) assert.ok(!pidAlive(p), `pid ${p} is gone`);
  });
});
