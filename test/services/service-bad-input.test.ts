/**
 * Bad input to the real teacher service process (token and a 2 MB message limit set), each
 * answered with its own status code and a message that says what is wrong:
 * unauthenticated call, malformed request, unknown run id, a tensor whose size disagrees with
 * its shape, an oversized message, a weight snapshot with a bad checksum (refused, the old
 * weights stay), and a stale version (never published, never applied backwards).
 */
import { writeTinySourceModel } from '../helpers/tiny-model.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { loadSegModel } from '../../lib/model/model-file.js';
import { bearerMetadata } from '../../lib/services/grpc/auth.js';
import { makeClient, unary } from '../../lib/services/grpc/client.js';
import { encodeTensor } from '../../lib/services/grpc/tensor-codec.js';
import { encodeSnapshot, StaleVersionError, WeightStore } from '../../lib/services/sync/index.js';
import { objectName } from '../../lib/services/sync/weight-store.js';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { adaptConfigJson } from '../../lib/train/adapt-run.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { hasOpenssl, makeCerts, type Certs } from '../helpers/certs.js';
import { startServiceProcess, type ServiceProcess } from '../../lib/services/local/service-process.js';

const TOKEN = 's3cret';

function rejectsWith(p: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  return assert.rejects(p, (e: { code?: number; details?: string }) => {
    assert.equal(e.code, code, `code ${e.code} (${e.details})`);
    assert.match(e.details ?? '', message);
    return true;
  });
}

describe('teacher service: bad input (real process)', function () {
  this.timeout(120_000);
  let dir = '';
  let nats: NatsServerHandle;
  let teacher: ServiceProcess;
  let client: ReturnType<typeof makeClient<'Teacher'>>;
  let store: WeightStore;
  let meta: Metadata;
  let paramNames: string[] = [];
  const RUN = 'bad-input';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-bad-'));
    const src = path.join(dir, 'source.model.ckpt');
    await writeTinySourceModel(src);
    paramNames = [...(await loadSegModel(src)).tensors.keys()].filter((k) => k.endsWith('.weight'));
    nats = await startNatsServer();
    teacher = await startServiceProcess('teacher-service', ['--nats.servers', nats.url, '--auth.token', TOKEN, '--grpc.maxMessageBytes', String(2_000_000), '--metrics.enabled', 'false', '--log.level', 'error', '--teacher.waitMs', '1500']);
    client = makeClient('Teacher', teacher.address, { token: TOKEN });
    meta = bearerMetadata(TOKEN);
    store = await WeightStore.open({ servers: nats.url, name: 'test' });
    const cfg = validateAdaptConfig({
      iterations: 4, batch: 2, seed: 1, source: src, target: { source: 'synthstreet', count: 4, width: 64, height: 48 }, augment: { cropWidth: 48, cropHeight: 40 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } }, runtime: { threads: 1 },
    });
    await unary(client, 'LoadRun', { run_id: RUN, config_json: adaptConfigJson(cfg), config_hash: 'h', source_model: src, start_version: 0, reset: false });
  });

  after(async () => {
    client?.close();
    await store?.close();
    await teacher?.kill();
    await nats?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a call without the bearer token (or with a wrong one) is UNAUTHENTICATED', async () => {
    const anon = makeClient('Teacher', teacher.address);
    try {
      await rejectsWith(unary(anon, 'GetState', { run_id: RUN }), status.UNAUTHENTICATED, /bearer|authorization|token/i);
      await rejectsWith(unary(anon, 'GetState', { run_id: RUN }, { metadata: bearerMetadata('wrong') }), status.UNAUTHENTICATED, /token/i);
    } finally {
      anon.close();
    }
  });

  it('a malformed request (no run id, no images) is INVALID_ARGUMENT naming the field', async () => {
    await rejectsWith(unary(client, 'Label', { run_id: '', step: 0, seed: 1 }, { metadata: meta }), status.INVALID_ARGUMENT, /run_id/);
    await rejectsWith(unary(client, 'Label', { run_id: RUN, step: 0, seed: 1 }, { metadata: meta }), status.INVALID_ARGUMENT, /images/);
    await rejectsWith(unary(client, 'LoadRun', { run_id: 'x', config_json: '{"iterations": -3}', config_hash: '', source_model: '', start_version: 0, reset: false }, { metadata: meta }), status.INVALID_ARGUMENT, /iterations/);
  });

  it('an unknown run id is NOT_FOUND with the id', async () => {
    await rejectsWith(unary(client, 'GetState', { run_id: 'no-such-run' }, { metadata: meta }), status.NOT_FOUND, /no-such-run/);
    await rejectsWith(unary(client, 'Predict', { run_id: 'no-such-run', images: encodeTensor({ dtype: 'float32', shape: [1, 3, 8, 8], data: new Float32Array(192) }) }, { metadata: meta }), status.NOT_FOUND, /no-such-run/);
  });

  it('a tensor whose bytes disagree with its shape is INVALID_ARGUMENT saying both', async () => {
    const t = encodeTensor({ dtype: 'float32', shape: [2, 3, 40, 48], data: new Float32Array(2 * 3 * 40 * 48) });
    const bad = { ...t, data: (t.data as Buffer).subarray(0, 1000) };
    await rejectsWith(unary(client, 'Label', { run_id: RUN, step: 0, seed: 1, images: bad }, { metadata: meta }), status.INVALID_ARGUMENT, /images.*1000 bytes/);
    const wrongShape = encodeTensor({ dtype: 'float32', shape: [2, 3, 8, 8], data: new Float32Array(2 * 3 * 64) });
    await rejectsWith(unary(client, 'Label', { run_id: RUN, step: 0, seed: 1, images: wrongShape }, { metadata: meta }), status.INVALID_ARGUMENT, /images/);
  });

  it('a message above the server limit is RESOURCE_EXHAUSTED', async () => {
    const big = encodeTensor({ dtype: 'float32', shape: [4, 3, 240, 320], data: new Float32Array(4 * 3 * 240 * 320) });
    await rejectsWith(unary(client, 'Predict', { run_id: RUN, images: big }, { metadata: meta }), status.RESOURCE_EXHAUSTED, /larger than max|message/i);
  });

  it('a snapshot with a bad checksum is refused (DATA_LOSS); the teacher keeps its weights', async () => {
    const before = await unary(client, 'GetState', { run_id: RUN }, { metadata: meta });
    const w = new Map(paramNames.slice(0, 2).map((n, i) => [n, { dtype: 'float32' as const, shape: [4], data: Float32Array.from([i, 1, 2, 3]) }]));
    const { payload } = encodeSnapshot(RUN, 1, w);
    await store.publish(RUN, 1, w);
    payload[payload.length - 5] ^= 0x40;
    const nc = await connect({ servers: nats.url });
    try {
      await (await new Objm(nc).open('sfda-weights')).putBlob({ name: objectName(RUN, 1) }, payload);
    } finally {
      await nc.close();
    }
    await rejectsWith(unary(client, 'SyncWeights', { run_id: RUN, min_version: 1 }, { metadata: meta }), status.DATA_LOSS, /checksum|corrupt/);
    const after = await unary(client, 'GetState', { run_id: RUN }, { metadata: meta });
    assert.equal(after.weights?.version, before.weights?.version);
    assert.equal(after.weights?.digest, before.weights?.digest);
    assert.equal(Number(after.snapshots_rejected), Number(before.snapshots_rejected) + 1);
  });

  it('a stale version is never published and never applied backwards', async () => {
    await assert.rejects(store.publish(RUN, 1, new Map()), (e: unknown) => e instanceof StaleVersionError && /not newer|stale|≤|head/i.test((e as Error).message));
    const st = await unary(client, 'GetState', { run_id: RUN }, { metadata: meta });
    assert.equal(Number(st.weights?.version), 0, 'the teacher stays at its version');
  });
});

describe('teacher service: mutual TLS (real process)', function () {
  this.timeout(60_000);
  let nats: NatsServerHandle;
  let teacher: ServiceProcess;
  let certs: Certs;

  before(async function () {
    if (!hasOpenssl()) {
      console.log('      openssl not found on PATH: the mTLS test is skipped (it makes its certificates with openssl)');
      this.skip();
    }
    certs = makeCerts();
    nats = await startNatsServer();
    teacher = await startServiceProcess('teacher-service', ['--nats.servers', nats.url, '--metrics.enabled', 'false', '--log.level', 'error',
      '--tls.cert', certs.serverCert, '--tls.key', certs.serverKey, '--tls.ca', certs.ca, '--tls.mutual', 'true']);
  });

  after(async () => {
    await teacher?.kill();
    await nats?.cleanup();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('a client with a certificate of the CA is served; one without, or from another CA, is refused', async () => {
    const ok = makeClient('Teacher', teacher.address, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    const none = makeClient('Teacher', teacher.address, { tls: { ca: certs.ca } });
    const rogue = makeClient('Teacher', teacher.address, { tls: { ca: certs.ca, cert: certs.rogueCert, key: certs.rogueKey } });
    try {
      const st = await unary(ok, 'GetState', { run_id: '' }, { deadlineMs: 10_000 });
      assert.equal(st.loaded, false);
      for (const c of [none, rogue]) await assert.rejects(unary(c, 'GetState', { run_id: '' }, { deadlineMs: 10_000 }), (e: { code?: number }) => e.code === status.UNAVAILABLE);
    } finally {
      for (const c of [ok, none, rogue]) c.close();
    }
  });

  it('mutual TLS without a CA is a settings error naming tls.mutual', async () => {
    await assert.rejects(startServiceProcess('teacher-service', ['--nats.servers', nats.url, '--tls.cert', certs.serverCert, '--tls.key', certs.serverKey, '--tls.mutual', 'true']), /tls\.mutual/);
  });
});
