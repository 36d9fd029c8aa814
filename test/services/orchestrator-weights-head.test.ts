/**
 * orchestrator.weightsHead with a real nats-server: the published weights version of a
 * followed run (WeightStore head pointer) reaches run.json, and a NATS outage is survived.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeClient, unary } from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import { WeightStore } from '../../lib/services/sync/index.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { FakeStudent, startOrchestrator, tinySetup, tmpDir, TOKEN, until, type StartedOrchestrator } from './orchestrator-fixture.js';

describe('orchestrator: published weights version from NATS', function () {
  this.timeout(60000);
  let dir = '';
  let nats: NatsServerHandle;
  let store: WeightStore;
  let student: FakeStudent;
  let o: StartedOrchestrator;
  let client: ClientOf<'Orchestrator'>;

  before(async () => {
    dir = tmpDir('orch-head-');
    nats = await startNatsServer();
    store = await WeightStore.open({ servers: nats.url, name: 'test-student', bucketPrefix: 'orch-test' });
    student = await FakeStudent.start({ token: TOKEN });
    student.paused = true;
    o = await startOrchestrator({
      runsRoot: path.join(dir, 'runs'), student: student.address, teacher: '127.0.0.1:1', token: TOKEN,
      extra: ['--orchestrator.weightsHead', '--orchestrator.weightsBucket', 'orch-test', '--orchestrator.headPollMs', '50', '--nats.servers', nats.url],
    });
    client = makeClient('Orchestrator', o.address, { token: TOKEN });
  });

  after(async () => {
    client?.close();
    await o?.service.stop();
    await student?.close();
    await store?.close();
    await nats?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the latest published version of a followed run in run.json', async () => {
    const { source, config } = await tinySetup(dir);
    await unary(client, 'StartRun', { run_id: 'pub', config_json: JSON.stringify(config), source_model: source });
    const runJson = () => JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'pub', 'run.json'), 'utf8')) as { published_version?: number };
    const w = new Map([['w', { dtype: 'float32' as const, shape: [2], data: new Float32Array([1, 2]) }]]);
    await store.publish('pub', 5, w);
    await until(() => runJson().published_version === 5, 'published_version 5');
    await store.publish('pub', 8, w);
    await until(() => runJson().published_version === 8, 'published_version 8');

    await nats.stop();
    await new Promise((r) => setTimeout(r, 300)); // polls fail meanwhile (logged), the orchestrator goes on
    assert.equal((await unary(client, 'GetRun', { run_id: 'pub' })).phase, 'RUNNING');
    await nats.restart();
    await store.close();
    store = await WeightStore.open({ servers: nats.url, name: 'test-student', bucketPrefix: 'orch-test' }); // (a fresh client: the old one's first request after the restart waits out its timeout)
    await store.publish('pub', 9, w);
    await until(() => runJson().published_version === 9, 'published_version 9 after the outage', 20000);
  });
});
