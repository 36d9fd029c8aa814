/**
 * `sfda up` / `sfda down` as child processes, with a real nats-server and the service commands
 * replaced by local-fake-service.js (--<service>-command): up --detach returns once stack.json
 * is written, a second up refuses, a killed service is restarted (a line in up.log), down stops
 * everything (no process left) and a second down is exit 3; the foreground up prints the
 * addresses and stops everything on SIGINT (exit 0).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findNatsServer, pidAlive, readStack, STACK_MEMBERS, waitPidGone } from '../../lib/services/local/index.js';
import { cleanEnv, SFDA, sfdaProcess } from './cli-fixture.js';
import { FAKE_SERVICE } from './local-fixture.js';

const fakeFlags = (): string[] => [
  '--teacher-command', `${process.execPath} ${FAKE_SERVICE} teacher`,
  '--student-command', `${process.execPath} ${FAKE_SERVICE} student`,
  '--orchestrator-command', `${process.execPath} ${FAKE_SERVICE} orchestrator`,
  '--student-arg', '--student.quantizeBits 8',
  '--restarts', '3',
];

describe('sfda up / down (child processes, fake services)', function () {
  this.timeout(90_000);
  let cwd: string;
  let record: string;

  before(function () {
    if (!findNatsServer()) throw new Error('nats-server is needed (PATH, $NATS_SERVER_BIN or .tools/): tools/install-nats-server.sh');
  });
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-up-'));
    record = path.join(cwd, 'record');
    fs.mkdirSync(record);
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('up --detach, restart of a killed service, down: nothing left behind', async () => {
    const env = { FAKE_RECORD_DIR: record, SFDA_TOKEN: 'tok' };
    const up = await sfdaProcess(['up', '--detach', ...fakeFlags()], { cwd, env });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stdout, /^local stack in .*\.sfda \(logs: .*; token required\)\nMEMBER +ADDRESS +METRICS +PID\nnats +nats:\/\/127\.0\.0\.1:\d+ +\d+\nteacher +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ +\d+\n/);
    const s = readStack(path.join(cwd, '.sfda'))!;
    assert.ok(s && pidAlive(s.supervisor.pid));
    assert.equal(s.token, 'tok');
    const studentRec = JSON.parse(fs.readFileSync(path.join(record, `student-${s.student.pid}.json`), 'utf8')) as { argv: string[]; token: string };
    assert.equal(studentRec.token, 'tok');
    assert.deepEqual(studentRec.argv.slice(-2), ['--student.quantizeBits', '8'], '--student-arg is split at spaces and passed');

    const again = await sfdaProcess(['up', '--detach', ...fakeFlags()], { cwd, env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: a local stack is already running in .*sfda down/);

    // the supervisor restarts a killed service on its port
    process.kill(s.orchestrator.pid, 'SIGKILL');
    let now = s;
    const end = Date.now() + 20_000;
    while (now.orchestrator.pid === s.orchestrator.pid) {
      assert.ok(Date.now() < end, 'the orchestrator was not restarted');
      await new Promise((r) => setTimeout(r, 50));
      now = readStack(path.join(cwd, '.sfda')) ?? now;
    }
    assert.equal(now.orchestrator.grpc, s.orchestrator.grpc);
    const upLog = fs.readFileSync(path.join(cwd, '.sfda', 'logs', 'up.log'), 'utf8');
    assert.match(upLog, /orchestrator \(pid \d+\) exited unexpectedly \(signal SIGKILL\)/);
    assert.match(upLog, /orchestrator restarted: 127\.0\.0\.1:\d+ \(pid \d+ → \d+, restarts 1\)/);

    const down = await sfdaProcess(['down', '--json'], { cwd });
    assert.equal(down.code, 0, down.stderr);
    const d = JSON.parse(down.stdout) as { stopped: boolean; forced: boolean; leftovers: number[] };
    assert.deepEqual([d.stopped, d.forced, d.leftovers], [true, false, []]);
    for (const pid of [s.supervisor.pid, ...STACK_MEMBERS.map((m) => s[m].pid), ...STACK_MEMBERS.map((m) => now[m].pid)]) {
      assert.ok(await waitPidGone(pid, 5000), `pid ${pid} is gone`);
    }
    assert.equal(readStack(path.join(cwd, '.sfda')), undefined);
    const second = await sfdaProcess(['down'], { cwd });
    assert.equal(second.code, 3);
    assert.match(second.stderr, /^error: no local stack in .*\.sfda \(no stack\.json\)\n$/);
  });

  it('down after the supervisor died hard: ends the stack\'s processes and removes stack.json', async () => {
    const state = path.join(cwd, 'state');
    const up = await sfdaProcess(['up', '--detach', '--state', state, ...fakeFlags()], { cwd, env: { FAKE_RECORD_DIR: record } });
    assert.equal(up.code, 0, up.stderr);
    const s = readStack(state)!;
    process.kill(s.supervisor.pid, 'SIGKILL');
    assert.ok(await waitPidGone(s.supervisor.pid, 5000));
    // the services may outlive a supervisor killed with SIGKILL (no exit hook runs)
    const list = await sfdaProcess(['list', '--state', state], { cwd });
    assert.equal(list.code, 5, 'a stack whose supervisor is gone is unreachable');
    const down = await sfdaProcess(['down', '--state', state], { cwd });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /its supervisor was already gone; stale stack\.json removed/);
    for (const m of STACK_MEMBERS) assert.ok(await waitPidGone(s[m].pid, 5000), `${m} (pid ${s[m].pid}) is gone`);
    assert.equal(readStack(state), undefined);
  });

  it('foreground up prints the addresses; SIGINT stops everything, exit 0', async () => {
    const child = spawn(process.execPath, [SFDA, 'up', ...fakeFlags()], { cwd, env: cleanEnv({ FAKE_RECORD_DIR: record }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const end = Date.now() + 30_000;
    while (!/ready — Ctrl-C stops everything/.test(stdout)) {
      assert.ok(Date.now() < end, `not ready:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = readStack(path.join(cwd, '.sfda'))!;
    assert.equal(s.supervisor.pid, child.pid);
    for (const svc of ['teacher', 'student', 'orchestrator'] as const) assert.ok(stdout.includes(s[svc].grpc), `${svc} address printed`);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /stopping: orchestrator, student, teacher, nats-server…\n.*stopped\n$/);
    for (const m of STACK_MEMBERS) assert.ok(await waitPidGone(s[m].pid, 5000), `${m} is gone`);
    assert.equal(readStack(path.join(cwd, '.sfda')), undefined);
  });

  it('foreground up: a service that keeps crashing spends its budget, the stack stops, exit 1', async () => {
    fs.writeFileSync(path.join(record, 'crash-teacher'), '');
    const r = await sfdaProcess(['up', ...fakeFlags(), '--restarts', '1'], { cwd, env: { FAKE_RECORD_DIR: record }, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /teacher \(pid \d+\) exited unexpectedly \(code 3\)/);
    assert.match(r.stdout, /teacher: giving up after 2 failures within 600 s/);
    assert.match(r.stderr, /^error: teacher gave up after 2 failures \(log: .*teacher\.log\)\n$/);
    const pids = fs.readdirSync(record).map((n) => /-(\d+)\.json$/.exec(n)).filter((m) => m).map((m) => Number(m![1]));
    assert.ok(pids.length >= 4);
    for (const pid of pids) assert.ok(await waitPidGone(pid, 5000), `pid ${pid} is gone`);
    assert.equal(readStack(path.join(cwd, '.sfda')), undefined);
  });

  it('up fails clearly when a service cannot start (exit 1, its log lines)', async () => {
    const r = await sfdaProcess(['up', '--detach', ...fakeFlags(), '--teacher-command', `${process.execPath} /nonexistent/teacher.js`], { cwd });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: the local stack did not start \(exit code 1\)/);
    assert.match(r.stderr, /teacher: \/nonexistent\/teacher\.js does not exist/);
    assert.equal(readStack(path.join(cwd, '.sfda')), undefined);
  });
});
