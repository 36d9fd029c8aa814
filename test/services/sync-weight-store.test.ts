/**
 * WeightStore (lib/services/sync/weight-store.ts) against a real nats-server with JetStream:
 * round trip, digest and metrics, stale versions, corrupted and truncated objects written
 * behind the store's back, waitFor through the KV watch, gc and deleteRun.
 */
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { Kvm } from '@nats-io/kv';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { SnapshotCorruptError, StaleVersionError, SyncError, WaitTimeoutError } from '../../lib/services/sync/errors.js';
import type { FailureEvent, TransferEvent } from '../../lib/services/sync/observer.js';
import { encodeSnapshot, weightsDigest } from '../../lib/services/sync/snapshot.js';
import { objectName, parseObjectName, WeightStore } from '../../lib/services/sync/weight-store.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { cloneWeights, sameTensor, sampleWeights } from './sync-fixtures.js';

const PREFIX = 'test-weights';

function assertSameWeights(got: ReadonlyMap<string, TensorData>, want: ReadonlyMap<string, TensorData>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, t] of want) assert.ok(sameTensor(got.get(k)!, t), `${k} differs`);
}

/** Writes raw bytes under an object name, bypassing the WeightStore (simulates damage). */
async function rawPut(url: string, name: string, bytes: Uint8Array): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const obj = await new Objm(nc).open(PREFIX);
    await obj.putBlob({ name }, bytes);
  } finally {
    await nc.close();
  }
}

describe('sync/weight-store (real nats-server)', function () {
  this.timeout(60_000);
  let server: NatsServerHandle;
  let store: WeightStore;
  const published: TransferEvent[] = [];
  const pulled: TransferEvent[] = [];
  const failures: FailureEvent[] = [];

  before(async () => {
    server = await startNatsServer();
    store = await WeightStore.open({
      servers: server.url, name: 'sync-test', bucketPrefix: PREFIX,
      observer: { onPublish: (e) => published.push(e), onPull: (e) => pulled.push(e), onFailure: (e) => failures.push(e) },
    });
  });

  after(async () => {
    await store?.close();
    await server?.cleanup();
  });

  it('publishes and pulls a snapshot bit-exactly, reporting version and digest', async () => {
    const w = sampleWeights(1);
    assert.equal(await store.head('rt'), undefined);
    assert.equal(await store.pull('rt'), undefined);
    const head = await store.publish('rt', 1, w, { meta: { step: 1 } });
    assert.equal(head.version, 1);
    assert.equal(head.object, 'rt/v1');
    assert.equal(head.digest, weightsDigest(w));
    assert.ok(head.bytes > 0);
    assert.deepEqual({ ...(await store.head('rt'))! }, { ...head });

    const snap = await store.pull('rt');
    assert.ok(snap);
    assert.equal(snap.version, 1);
    assert.equal(snap.digest, weightsDigest(w));
    assert.equal(weightsDigest(snap.tensors), snap.digest);
    assert.deepEqual(snap.meta, { step: 1 });
    assertSameWeights(snap.tensors, w);

    assert.equal(await store.pull('rt', { haveVersion: 1 }), undefined, 'nothing newer than v1');
    assert.equal(await store.pull('rt', { minVersion: 2 }), undefined, 'v2 not there yet');
    const w2 = sampleWeights(2);
    await store.publish('rt', 5, w2);
    const snap2 = await store.pull('rt', { haveVersion: 1 });
    assert.equal(snap2?.version, 5);
    assertSameWeights(snap2!.tensors, w2);

    assert.equal(published.at(-1)?.version, 5);
    assert.equal(pulled.at(-1)?.digest, weightsDigest(w2));
    const st = store.stats();
    assert.equal(st.publishes, 2);
    assert.equal(st.pulls, 2);
    assert.equal(st.bytesPublished, published.reduce((a, e) => a + e.bytes, 0));
    assert.ok(st.publishSecondsTotal > 0 && st.lastPullSeconds > 0);
  });

  it('carries a multi-chunk snapshot (several MiB) intact', async () => {
    const big = new Float32Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = Math.sin(i) * 1e3;
    const w = new Map<string, TensorData>([['big', tensor('float32', [big.length], big)], ...sampleWeights(4)]);
    const head = await store.publish('big', 1, w);
    assert.ok(head.bytes > 12 * 1024 * 1024);
    const snap = await store.pull('big');
    assertSameWeights(snap!.tensors, w);
  });

  it('rejects a version that is not newer than the head (StaleVersionError)', async () => {
    await store.publish('stale', 3, sampleWeights(1));
    for (const v of [3, 2]) {
      await assert.rejects(store.publish('stale', v, sampleWeights(2)), (e: unknown) => {
        assert.ok(e instanceof StaleVersionError);
        assert.equal(e.headVersion, 3);
        assert.match(e.message, new RegExp(`stale version: run 'stale' cannot publish v${v}, the head is already at v3`));
        return true;
      });
    }
    assert.equal(failures.at(-1)?.code, 'STALE_VERSION');
    assert.equal((await store.head('stale'))!.version, 3);
    assertSameWeights((await store.pull('stale'))!.tensors, sampleWeights(1));
  });

  it('a snapshot corrupted in the store is refused (SnapshotCorruptError); the caller keeps its old weights', async () => {
    const w1 = sampleWeights(1);
    await store.publish('corrupt', 1, w1);
    const held = (await store.pull('corrupt'))!;
    const before = cloneWeights(held.tensors);

    await store.publish('corrupt', 2, sampleWeights(2));
    // Same name, same length, one data byte flipped: the object store's own SHA-256 is consistent
    // (the bytes were re-put), so only the snapshot's digest can catch it.
    const { payload } = encodeSnapshot('corrupt', 2, sampleWeights(2));
    payload[payload.length - 20] ^= 0x80;
    await rawPut(server.url, objectName('corrupt', 2), payload);

    await assert.rejects(store.pull('corrupt', { haveVersion: held.version }), (e: unknown) => {
      assert.ok(e instanceof SnapshotCorruptError);
      assert.equal(e.run, 'corrupt');
      assert.equal(e.version, 2);
      assert.match(e.message, /corrupt weight snapshot \(run 'corrupt', v2\): checksum mismatch/);
      return true;
    });
    assert.equal(failures.at(-1)?.code, 'SNAPSHOT_CORRUPT');
    assert.equal(held.version, 1);
    assertSameWeights(held.tensors, before);
  });

  it('a truncated object is refused', async () => {
    await store.publish('trunc', 1, sampleWeights(1));
    const { payload } = encodeSnapshot('trunc', 1, sampleWeights(1));
    await rawPut(server.url, objectName('trunc', 1), payload.subarray(0, payload.length - 100));
    await assert.rejects(store.pull('trunc'), /corrupt weight snapshot \(run 'trunc', v1\): truncated: object 'trunc\/v1' has \d+ bytes, the head pointer says \d+/);
  });

  it('a snapshot of another version under the expected name is refused', async () => {
    await store.publish('swap', 2, sampleWeights(1));
    await rawPut(server.url, objectName('swap', 2), encodeSnapshot('swap', 1, sampleWeights(1)).payload);
    await assert.rejects(store.pull('swap'), /run 'swap', v2\): the header says v1/);
  });

  it('a missing object is refused', async () => {
    await store.publish('gone', 1, sampleWeights(1));
    const nc = await connect({ servers: server.url });
    await (await new Objm(nc).open(PREFIX)).delete('gone/v1');
    await nc.close();
    await assert.rejects(store.pull('gone'), /run 'gone', v1\): object 'gone\/v1' named by the head pointer is missing/);
  });

  it('waitFor resolves when a later publish arrives, and times out otherwise', async () => {
    await store.publish('wait', 1, sampleWeights(1));
    assert.equal((await store.waitFor('wait', 1, 1000)).version, 1, 'already there');
    const t0 = Date.now();
    const waiting = store.waitFor('wait', 3, 10_000);
    setTimeout(() => { void store.publish('wait', 2, sampleWeights(2)).then(() => store.publish('wait', 3, sampleWeights(3))); }, 300);
    const head = await waiting;
    assert.equal(head.version, 3);
    assert.ok(Date.now() - t0 < 9000);

    const t1 = Date.now();
    await assert.rejects(store.waitFor('wait', 9, 400), (e: unknown) => {
      assert.ok(e instanceof WaitTimeoutError);
      assert.match(e.message, /timed out after 400 ms waiting for run 'wait' to reach v9 \(head: v3\)/);
      return true;
    });
    const took = Date.now() - t1;
    assert.ok(took >= 380 && took < 3000, `took ${took} ms`);
    await assert.rejects(store.waitFor('nothing-yet', 1, 200), /head: none/);
  });

  it('gc keeps the newest N snapshots; deleteRun removes the run', async () => {
    for (let v = 1; v <= 5; v++) await store.publish('gc', v * 10, sampleWeights(v));
    assert.deepEqual(await store.gc('gc', 2), [10, 20, 30]);
    assert.deepEqual(await store.gc('gc', 2), []);
    const nc = await connect({ servers: server.url });
    const names = (await (await new Objm(nc).open(PREFIX)).list()).filter((i) => !i.deleted).map((i) => i.name);
    assert.deepEqual(names.filter((n) => parseObjectName(n)?.run === 'gc').sort(), ['gc/v40', 'gc/v50']);
    assertSameWeights((await store.pull('gc'))!.tensors, sampleWeights(5));
    await assert.rejects(store.gc('gc', 0), /keep must be an integer ≥ 1/);

    assert.equal(await store.deleteRun('gc'), 2);
    assert.equal(await store.head('gc'), undefined);
    const kv = await new Kvm(nc).open(`${PREFIX}-head`);
    const entry = await kv.get('gc');
    assert.ok(entry === null || entry.operation !== 'PUT', 'the head pointer was purged');
    await nc.close();
    // A deleted run can start again from any version.
    await store.publish('gc', 1, sampleWeights(1));
    assert.equal((await store.head('gc'))!.version, 1);
  });

  it('validates run ids and versions', async () => {
    await assert.rejects(store.publish('a/b', 1, sampleWeights()), (e: unknown) => e instanceof SyncError && e.code === 'INVALID_ARGUMENT' && /run id "a\/b" is not valid/.test(e.message));
    await assert.rejects(store.publish('ok', 1.5, sampleWeights()), /version must be an integer ≥ 0, got 1.5/);
    await assert.rejects(store.pull('.x'), /is not valid/);
  });

  it('reopens the same buckets (bind) and sees earlier runs', async () => {
    const other = await WeightStore.open({ servers: server.url, name: 'sync-test-2', bucketPrefix: PREFIX });
    try {
      assert.equal((await other.head('rt'))!.version, 5);
      assertSameWeights((await other.pull('rt'))!.tensors, sampleWeights(2));
    } finally {
      await other.close();
    }
    await assert.rejects(other.head('rt'), /the weight store is closed/);
  });
});
