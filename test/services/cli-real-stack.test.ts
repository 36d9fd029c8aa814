/**
 * `sfda` with the real services: `sfda up --detach` starts nats-server and the real teacher,
 * student and orchestrator processes (dist/<service>/main.js), then a tiny run (a small real
 * source model, 3 iterations) is started and watched to FINISHED, listed, its log read,
 * evaluated and exported; the orchestrator is killed and the supervisor brings it back on
 * the same address with the runs intact; `sfda down` leaves no process behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findNatsServer, readStack, STACK_MEMBERS, waitPidGone } from '../../lib/services/local/index.js';
import { sfda, sfdaProcess } from './cli-fixture.js';
import { tinySetup } from './orchestrator-fixture.js';

describe('sfda with the real services (local stack)', function () {
  this.timeout(180_000);
  let cwd: string;

  before(async function () {
    if (!findNatsServer()) throw new Error('nats-server is needed (PATH, $NATS_SERVER_BIN or .tools/): tools/install-nats-server.sh');
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-real-'));
    const { source, config } = await tinySetup(cwd);
    fs.renameSync(source, path.join(cwd, 'source.model.ckpt'));
    fs.writeFileSync(path.join(cwd, 'tiny.json'), JSON.stringify({ ...config, iterations: 3 }));
  });
  after(async () => {
    // whatever happened: stop the stack
    if (cwd && readStack(path.join(cwd, '.sfda'))) await sfdaProcess(['down'], { cwd, timeoutMs: 60_000 });
    if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('up, start --watch, list, logs, evaluate, export, a killed orchestrator, down', async () => {
    const up = await sfdaProcess(['up', '--detach', '--orchestrator-arg', '--grpc.shutdownDeadlineMs 2000'], { cwd, env: { SFDA_TOKEN: 'real-token' }, timeoutMs: 120_000 });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const stack = readStack(path.join(cwd, '.sfda'))!;

    const start = await sfda(['start', '--config', 'tiny.json', '--source', 'source.model.ckpt', '--run-id', 'tiny', '--watch', '--interval', '1'], { cwd });
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^run tiny FINISHED at step 3\/3 \(100\.0%\), teacher v\d+, mIoU \d+\.\d%\n$/);
    assert.match(start.stderr, /tiny \d\/3 it .*\| loss \d/);

    const list = await sfda(['list', '--json'], { cwd });
    assert.equal(list.code, 0, list.stderr);
    const runs = JSON.parse(list.stdout) as { run_id: string; phase: string; run_dir: string }[];
    assert.deepEqual(runs.map((r) => [r.run_id, r.phase]), [['tiny', 'FINISHED']]);
    assert.ok(runs[0]!.run_dir.startsWith(cwd), 'the run directory is under the working directory of sfda up');

    const logs = await sfda(['logs', 'tiny', '--level', 'info'], { cwd });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /INFO +adapt source=/);

    const ev = await sfda(['evaluate', 'tiny', '--limit', '1', '--json'], { cwd });
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal((JSON.parse(ev.stdout) as { images: number }).images, 1);
    const ex = await sfda(['export', 'tiny', '--out', 'tiny.onnx'], { cwd });
    assert.equal(ex.code, 0, ex.stderr);
    assert.ok(fs.statSync(path.join(cwd, 'tiny.onnx')).size > 1000);

    const missing = await sfda(['status', 'nope'], { cwd });
    assert.equal(missing.code, 3);
    const wrongToken = await sfda(['list', '--token', 'wrong'], { cwd });
    assert.equal(wrongToken.code, 4, wrongToken.stderr);

    // the supervisor restarts a killed orchestrator on its address; the run is still there
    process.kill(stack.orchestrator.pid, 'SIGKILL');
    const end = Date.now() + 60_000;
    let now = stack;
    while (now.orchestrator.pid === stack.orchestrator.pid) {
      assert.ok(Date.now() < end, 'the orchestrator came back');
      await new Promise((r) => setTimeout(r, 100));
      now = readStack(path.join(cwd, '.sfda')) ?? now;
    }
    assert.equal(now.orchestrator.grpc, stack.orchestrator.grpc);
    const again = await sfda(['status', 'tiny', '--json'], { cwd });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { phase: string }).phase, 'FINISHED');

    const down = await sfdaProcess(['down'], { cwd, timeoutMs: 90_000 });
    assert.equal(down.code, 0, down.stderr);
    for (const pid of [now.supervisor.pid, ...STACK_MEMBERS.map((m) => now[m].pid)]) assert.ok(await waitPidGone(pid, 10_000), `pid ${pid} is gone`);
    assert.equal(readStack(path.join(cwd, '.sfda')), undefined);
  });
});
