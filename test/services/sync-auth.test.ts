/**
 * WeightStore credentials against a nats-server that requires a user and password: no or
 * wrong credentials are refused with SyncAuthError (a clear message naming the server), the
 * right ones work end to end; conflicting credential options are an argument error.
 */
import assert from 'node:assert/strict';
import { SyncAuthError, SyncError } from '../../lib/services/sync/errors.js';
import { WeightStore } from '../../lib/services/sync/weight-store.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { sameTensor, sampleWeights } from './sync-fixtures.js';

describe('sync/weight-store credentials', function () {
  this.timeout(60_000);
  let server: NatsServerHandle;

  before(async () => {
    server = await startNatsServer({ user: 'student', pass: 's3cret' });
  });

  after(async () => {
    await server?.cleanup();
  });

  it('refuses a client without credentials or with a wrong password', async () => {
    for (const creds of [{}, { user: 'student', pass: 'wrong' }, { token: 'nope' }]) {
      const t0 = Date.now();
      await assert.rejects(WeightStore.open({ servers: server.url, name: 'auth-test', ...creds }), (e: unknown) => {
        assert.ok(e instanceof SyncAuthError, `${JSON.stringify(creds)}: ${String(e)}`);
        assert.match(e.message, new RegExp(`NATS at nats://127\\.0\\.0\\.1:${server.port} refused the connection: .*[Aa]uthorization.* — pass user/pass, token or a creds file`));
        return true;
      });
      assert.ok(Date.now() - t0 < 10_000, 'an auth failure must not hang in the reconnect loop');
    }
  });

  it('accepts the right user and password', async () => {
    const store = await WeightStore.open({ servers: server.url, name: 'auth-test', user: 'student', pass: 's3cret', bucketPrefix: 'auth' });
    try {
      const w = sampleWeights(7);
      await store.publish('r', 1, w);
      const snap = await store.pull('r');
      for (const [k, t] of w) assert.ok(sameTensor(snap!.tensors.get(k)!, t), k);
    } finally {
      await store.close();
    }
  });

  it('rejects conflicting or unreadable credential options', async () => {
    await assert.rejects(WeightStore.open({ servers: server.url, name: 'x', user: 'a', pass: 'b', token: 't' }),
      (e: unknown) => e instanceof SyncError && e.code === 'INVALID_ARGUMENT' && /give one of user\/pass, token or credsFile/.test(e.message));
    await assert.rejects(WeightStore.open({ servers: server.url, name: 'x', credsFile: '/nonexistent/x.creds' }), /cannot read creds file \/nonexistent\/x.creds/);
  });
});
