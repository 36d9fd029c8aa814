/**
 * Server and client helpers over real gRPC on loopback: tensor round trips, validation and error
 * mapping, message limits, bearer token, health, reflection, the onCall hook, retries.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import net from 'node:net';
import { credentials, loadPackageDefinition, Metadata, status } from '@grpc/grpc-js';
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { tensor } from '../../lib/engine/ir/tensor.js';
import type { TensorData } from '../../lib/engine/ir/tensor.js';
import {
  bearerMetadata, createServer, decodeTensor, encodeFloatMap, encodeTensor, healthCheck, makeClient, QUANT_MAX_ERROR, SERVICES, unary,
  waitForServing, withRetry,
} from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import { rejectsWith, startTeacher, teacherImpl, TOKEN } from './grpc-fixture.js';
import type { Started } from './grpc-fixture.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('gRPC server and client helpers (loopback)', () => {
  let s: Started;
  let teacher: ClientOf<'Teacher'>;

  before(async () => {
    s = await startTeacher({ maxReceiveBytes: 1 << 20 });
    s.server.setServing(true);
    teacher = makeClient('Teacher', s.address, { deadlineMs: 5000 });
  });
  after(async () => {
    teacher?.close();
    await s?.server.shutdown(1000);
  });

  describe('tensors', () => {
    const cases: TensorData[] = [
      tensor('float32', [2, 3, 4, 5], Float32Array.from({ length: 120 }, (_, i) => Math.sin(i) * 1e3)),
      tensor('uint8', [2, 7, 5], Uint8Array.from({ length: 70 }, (_, i) => (i * 37) & 255)),
      tensor('int64', [3, 4], BigInt64Array.from({ length: 12 }, (_, i) => BigInt(i) * 0x1_0000_0001n - 5n)),
      tensor('float32', [], [Math.PI]),
      tensor('float32', [0, 3]),
    ];
    for (const t of cases) {
      it(`round-trips ${t.dtype} [${t.shape.join(',')}] through Predict`, async () => {
        const reply = await unary(teacher, 'Predict', { run_id: 'r', images: encodeTensor(t, 'images') });
        assert.equal(reply.weights?.version, 7);
        const back = decodeTensor(reply.labels, 'labels');
        assert.equal(back.dtype, t.dtype);
        assert.deepEqual(back.shape, t.shape);
        assert.deepEqual(back.data, t.data);
      });
    }

    it('answers INVALID_ARGUMENT naming the field when the bytes disagree with the shape', async () => {
      const images = { dtype: 'DTYPE_FLOAT32' as const, shape: [2, 3, 4, 4], data: Buffer.alloc(1000) };
      await rejectsWith(unary(teacher, 'Predict', { run_id: 'r', images }), status.INVALID_ARGUMENT,
        /^images: 1000 bytes but shape \[2,3,4,4\] float32 needs 384$/);
    });

    it('answers INVALID_ARGUMENT for an unknown dtype and for a missing tensor', async () => {
      await rejectsWith(unary(teacher, 'Predict', { run_id: 'r', images: { dtype: 'DTYPE_UNSPECIFIED', shape: [1], data: Buffer.alloc(4) } }),
        status.INVALID_ARGUMENT, /^images: dtype DTYPE_UNSPECIFIED is not one of/);
      await rejectsWith(unary(teacher, 'Predict', { run_id: 'r' }), status.INVALID_ARGUMENT, /^images: required/);
    });

    for (const bits of [8, 16] as const) {
      it(`carries a ${bits}-bit quantised float map within the documented error`, async () => {
        const n = 4096;
        const values = Float32Array.from({ length: n }, (_, i) => i / (n - 1));
        const reply = await unary(teacher, 'Label', { run_id: 'r', images: encodeTensor(tensor('float32', [1, 64, 64], values), 'images'), quantize_bits: bits });
        assert.equal(reply.reliability?.dtype, bits === 8 ? 'DTYPE_UINT8' : 'DTYPE_UINT16');
        assert.equal(reply.reliability?.data.length, n * (bits / 8));
        const back = decodeTensor(reply.reliability, 'reliability');
        assert.equal(back.dtype, 'float32');
        let maxErr = 0;
        for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs((back.data as Float32Array)[i]! - values[i]!));
        assert.ok(maxErr <= QUANT_MAX_ERROR[bits], `max error ${maxErr} > ${QUANT_MAX_ERROR[bits]}`);
        assert.ok(maxErr > 0.5 * QUANT_MAX_ERROR[bits], `max error ${maxErr}: not quantised?`);
      });
    }
  });

  describe('validation and error mapping', () => {
    it('answers INVALID_ARGUMENT for an empty run_id', async () => {
      await rejectsWith(unary(teacher, 'Predict', { run_id: '', images: encodeTensor(tensor('uint8', [1]), 'images') }),
        status.INVALID_ARGUMENT, /^run_id: required/);
    });

    const mapped: [string, status, RegExp][] = [
      ['not-found', status.NOT_FOUND, /run not-found not found/],
      ['precondition', status.FAILED_PRECONDITION, /no run loaded/],
      ['unavailable', status.UNAVAILABLE, /weights store unreachable/],
      ['boom', status.INTERNAL, /^kaboom$/],
    ];
    for (const [runId, code, details] of mapped) {
      it(`maps the error thrown for run_id=${runId} to ${status[code]}`, async () => {
        const before = s.internal.length;
        await rejectsWith(unary(teacher, 'Predict', { run_id: runId }), code, details);
        // Only unexpected errors reach onInternalError (to be logged with their stack).
        assert.deepEqual(s.internal.slice(before), code === status.INTERNAL ? ['sfda.v1.Teacher/Predict: kaboom'] : []);
      });
    }

    it('answers UNIMPLEMENTED for a method the implementation leaves out', async () => {
      await rejectsWith(unary(teacher, 'SyncWeights', { run_id: 'r' }, { metadata: bearerMetadata(TOKEN) }), status.UNIMPLEMENTED, /SyncWeights/);
    });

    it('answers RESOURCE_EXHAUSTED for a request above the receive limit (1 MiB here)', async () => {
      const big = encodeTensor(tensor('float32', [300_000]), 'images');
      await rejectsWith(unary(teacher, 'Predict', { run_id: 'r', images: big }), status.RESOURCE_EXHAUSTED);
      // Just below the limit passes.
      const ok = encodeTensor(tensor('float32', [250_000]), 'images');
      const reply = await unary(teacher, 'Predict', { run_id: 'r', images: ok });
      assert.equal(reply.labels?.data.length, 1_000_000);
    });

    it('answers RESOURCE_EXHAUSTED on the client when the reply is above its receive limit', async () => {
      const small = makeClient('Teacher', s.address, { maxReceiveBytes: 64 * 1024 });
      try {
        const t = encodeTensor(tensor('float32', [32 * 1024]), 'images');
        await rejectsWith(unary(small, 'Predict', { run_id: 'r', images: t }), status.RESOURCE_EXHAUSTED);
      } finally {
        small.close();
      }
    });
  });

  describe('bearer token', () => {
    it('refuses GetState without a token and with a wrong one (UNAUTHENTICATED), accepts the right one', async () => {
      await rejectsWith(unary(teacher, 'GetState', { run_id: 'r' }), status.UNAUTHENTICATED, /missing authorization/);
      await rejectsWith(unary(teacher, 'GetState', { run_id: 'r' }, { metadata: bearerMetadata('wrong') }), status.UNAUTHENTICATED, /invalid bearer token/);
      const md = new Metadata();
      md.set('authorization', TOKEN);
      await rejectsWith(unary(teacher, 'GetState', { run_id: 'r' }, { metadata: md }), status.UNAUTHENTICATED, /not of the form/);
      const st = await unary(teacher, 'GetState', { run_id: 'r' }, { metadata: bearerMetadata(TOKEN) });
      assert.equal(st.run_id, 'r');
      assert.equal(st.loaded, true);
      assert.equal(st.label_requests, 2 ** 40, 'uint64 decoded as a JS number (longs: Number)');
    });

    it('sends the token on every call of a client made with one; public methods need none', async () => {
      const authed = makeClient('Teacher', s.address, { token: TOKEN });
      try {
        assert.equal((await unary(authed, 'getState', { run_id: 'x' })).run_id, 'x');
      } finally {
        authed.close();
      }
      const reply = await unary(teacher, 'Predict', { run_id: 'r', images: encodeTensor(tensor('uint8', [2]), 'images') });
      assert.equal(reply.labels?.dtype, 'DTYPE_UINT8');
    });
  });

  describe('health, reflection, onCall', () => {
    it('reports NOT_SERVING before setServing(true) and SERVING after, per service', async () => {
      const t = await startTeacher();
      try {
        assert.equal(await healthCheck(t.address, SERVICES.Teacher), 'NOT_SERVING');
        assert.equal(await healthCheck(t.address, ''), 'NOT_SERVING');
        await rejectsWith(waitForServing(t.address, SERVICES.Teacher, 150), status.UNAVAILABLE, /not SERVING within 150 ms \(last: NOT_SERVING\)/);
        setTimeout(() => t.server.setServing(true, SERVICES.Teacher), 50);
        await waitForServing(t.address, SERVICES.Teacher, 3000);
        assert.equal(await healthCheck(t.address, SERVICES.Teacher), 'SERVING');
        assert.equal(await healthCheck(t.address, ''), 'NOT_SERVING');
        t.server.setServing(true);
        assert.equal(await healthCheck(t.address, ''), 'SERVING');
        await rejectsWith(healthCheck(t.address, 'sfda.v1.Nope'), status.NOT_FOUND);
      } finally {
        await t.server.shutdown(1000);
      }
    });

    it('waitForServing waits for a server that is not listening yet, and fails after the timeout', async () => {
      const port = await freePort();
      const waiting = waitForServing(`127.0.0.1:${port}`, SERVICES.Teacher, 5000);
      // A call with waitForReady also waits for the server instead of failing with UNAVAILABLE.
      const early = makeClient('Teacher', `127.0.0.1:${port}`);
      const ready = unary(early, 'Predict', { run_id: 'early', images: encodeTensor(tensor('uint8', [1]), 'images') }, { waitForReady: true, deadlineMs: 5000 });
      await rejectsWith(unary(early, 'Predict', { run_id: 'r' }), status.UNAVAILABLE);
      await new Promise((r) => setTimeout(r, 150));
      const t = createServer();
      t.add('Teacher', teacherImpl());
      try {
        await t.bind(`127.0.0.1:${port}`);
        t.setServing(true);
        await waiting;
        assert.equal((await ready).labels?.dtype, 'DTYPE_UINT8');
      } finally {
        early.close();
        await t.shutdown(500);
      }
      const t0 = Date.now();
      await rejectsWith(waitForServing(`127.0.0.1:${port}`, '', 300), status.UNAVAILABLE, /not SERVING within 300 ms \(last: (UNAVAILABLE|DEADLINE_EXCEEDED)/);
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    });

    it('lists the sfda.v1 services through server reflection', async () => {
      const require = createRequire(import.meta.url);
      const dir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
      const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { keepCase: true, includeDirs: [dir] });
      const Ctor = (loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client & { ServerReflectionInfo(): ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> } } } } }).grpc.reflection.v1.ServerReflection;
      const client = new Ctor(s.address, credentials.createInsecure());
      try {
        const names = await new Promise<string[]>((resolve, reject) => {
          const call = client.ServerReflectionInfo();
          call.on('data', (r: { list_services_response?: { service: { name: string }[] } }) => { resolve((r.list_services_response?.service ?? []).map((x) => x.name)); call.end(); });
          call.on('error', reject);
          call.write({ list_services: '' });
        });
        assert.ok(names.includes('sfda.v1.Teacher'), names.join(', '));
        assert.ok(!names.includes('sfda.v1.Student'), 'only the services this server hosts');
      } finally {
        client.close();
      }
    });

    it('calls onCall(method, code, seconds) for every call, including rejected ones', async () => {
      const before = s.calls.length;
      await unary(teacher, 'Predict', { run_id: 'r', images: encodeTensor(tensor('uint8', [1]), 'images') });
      await rejectsWith(unary(teacher, 'Predict', { run_id: '' }), status.INVALID_ARGUMENT);
      await rejectsWith(unary(teacher, 'GetState', { run_id: 'r' }), status.UNAUTHENTICATED);
      await rejectsWith(unary(teacher, 'Predict', { run_id: 'r', images: encodeTensor(tensor('float32', [300_000]), 'images') }), status.RESOURCE_EXHAUSTED);
      await new Promise((r) => setImmediate(r));
      const got = s.calls.slice(before).map((c) => `${c.method} ${status[c.code]}`);
      assert.deepEqual(got, [
        'sfda.v1.Teacher/Predict OK',
        'sfda.v1.Teacher/Predict INVALID_ARGUMENT',
        'sfda.v1.Teacher/GetState UNAUTHENTICATED',
        'sfda.v1.Teacher/Predict RESOURCE_EXHAUSTED',
      ]);
      for (const c of s.calls.slice(before)) assert.ok(c.seconds >= 0 && c.seconds < 5, String(c.seconds));
    });

    it('calls the client-side onCall with the status the client saw', async () => {
      const seen: string[] = [];
      const c = makeClient('Teacher', s.address, { onCall: (m, code, sec) => { assert.ok(sec >= 0); seen.push(`${m} ${status[code]}`); } });
      try {
        await unary(c, 'Predict', { run_id: 'r', images: encodeTensor(tensor('uint8', [1]), 'images') });
        await rejectsWith(unary(c, 'Predict', { run_id: 'not-found' }), status.NOT_FOUND);
        assert.deepEqual(seen, ['sfda.v1.Teacher/Predict OK', 'sfda.v1.Teacher/Predict NOT_FOUND']);
      } finally {
        c.close();
      }
    });
  });

  describe('withRetry', () => {
    it('retries UNAVAILABLE with exponential backoff until the call succeeds', async () => {
      let n = 0;
      const t = await startTeacher({}, teacherImpl({
        Predict: (req) => {
          if (n++ < 2) throw new (class extends Error { code = status.UNAVAILABLE; details = 'warming up'; })('warming up');
          return { weights: { version: n, digest: '' }, labels: req.images };
        },
      }));
      const c = makeClient('Teacher', t.address);
      try {
        const delays: number[] = [];
        const reply = await withRetry(() => unary(c, 'Predict', { run_id: 'r' }), { retries: 3, baseMs: 5, maxMs: 8, random: () => 1, onRetry: (_e, _a, d) => delays.push(d) });
        assert.equal(reply.weights?.version, 3);
        assert.deepEqual(delays, [5, 8]);
      } finally {
        c.close();
        await t.server.shutdown(1000);
      }
    });

    it('gives up after the retries and does not retry other codes', async () => {
      let attempts = 0;
      const unavailable = Object.assign(new Error('down'), { code: status.UNAVAILABLE, details: 'down' }) as ServiceError;
      await assert.rejects(withRetry(async () => { attempts++; throw unavailable; }, { retries: 2, baseMs: 1 }), (e) => e === unavailable);
      assert.equal(attempts, 3);
      attempts = 0;
      await rejectsWith(withRetry(async () => { attempts++; return unary(teacher, 'Predict', { run_id: '' }); }, { retries: 2, baseMs: 1 }), status.INVALID_ARGUMENT);
      assert.equal(attempts, 1);
    });

    it('a default deadline turns a hanging call into DEADLINE_EXCEEDED', async () => {
      const t = await startTeacher({}, teacherImpl({ Predict: () => new Promise(() => {}) }));
      const c = makeClient('Teacher', t.address, { deadlineMs: 100 });
      try {
        await rejectsWith(unary(c, 'Predict', { run_id: 'r' }), status.DEADLINE_EXCEEDED);
        // The server's hook reports the deadline too (grpc-js ends the call itself).
        for (let i = 0; i < 50 && t.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(t.calls.map((x) => `${x.method} ${status[x.code]}`), ['sfda.v1.Teacher/Predict DEADLINE_EXCEEDED']);
      } finally {
        c.close();
        await t.server.shutdown(200);
      }
    });
  });
});
