/**
 * Graceful shutdown: open server streams (service streams and health Watch) are ended so
 * tryShutdown completes within the deadline; running unary calls finish; a call that never
 * finishes is cut by forceShutdown at the deadline.
 */
import assert from 'node:assert/strict';
import { makeClientConstructor, credentials, Metadata, status } from '@grpc/grpc-js';
import type { Client, ClientReadableStream, ServiceDefinition, StatusObject } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { makeClient, SERVICES, SHUTDOWN_TRAILER, unary } from '../../lib/services/grpc/index.js';
import type { ClientOf } from '../../lib/services/grpc/index.js';
import { rejectsWith, startTeacher, teacherImpl } from './grpc-fixture.js';
import type { Started } from './grpc-fixture.js';

interface StreamOutcome { messages: number; status: StatusObject }

function follow<T>(stream: ClientReadableStream<T>, onData?: (m: T) => void): { first: Promise<void>; done: Promise<StreamOutcome> } {
  let messages = 0;
  let firstResolve!: () => void;
  const first = new Promise<void>((r) => { firstResolve = r; });
  const done = new Promise<StreamOutcome>((resolve) => {
    stream.on('data', (m: T) => { messages++; onData?.(m); firstResolve(); });
    stream.on('error', () => {}); // the status event carries the outcome
    stream.on('status', (st: StatusObject) => resolve({ messages, status: st }));
  });
  return { first, done };
}

describe('gRPC graceful shutdown', () => {
  let s: Started | undefined;
  let client: ClientOf<'Teacher'> | undefined;
  afterEach(async () => {
    client?.close();
    client = undefined;
    await s?.server.shutdown(200);
    s = undefined;
  });

  it('ends an open server stream (trailer sfda-shutdown) and completes within the deadline', async () => {
    s = await startTeacher();
    s.server.setServing(true);
    client = makeClient('Teacher', s.address);
    const { first, done } = follow(client.ExportState({ run_id: 'r' }));
    await first;
    assert.equal(s.server.streams.size, 1);
    const r = await s.server.shutdown(3000);
    assert.equal(r.forced, false, 'tryShutdown finished (no forceShutdown)');
    assert.equal(r.endedStreams, 1);
    assert.ok(r.seconds < 2, `shutdown took ${r.seconds} s (deadline 3 s)`);
    const out = await done;
    assert.equal(out.status.code, status.OK, out.status.details);
    assert.deepEqual(out.status.metadata.get(SHUTDOWN_TRAILER), ['1']);
    assert.ok(out.messages >= 1);
    assert.equal(s.server.servingStatus(SERVICES.Teacher), 'NOT_SERVING');
  });

  it('ends a stream whose handler ignores the abort signal', async () => {
    s = await startTeacher({}, teacherImpl({
      ExportState: async (_req, ctx) => {
        await ctx.send({ header_json: '{}' });
        await new Promise(() => {}); // never returns
      },
    }));
    client = makeClient('Teacher', s.address);
    const { first, done } = follow(client.ExportState({ run_id: 'r' }));
    await first;
    const r = await s.server.shutdown(3000);
    assert.equal(r.forced, false);
    assert.ok(r.seconds < 2, `shutdown took ${r.seconds} s (deadline 3 s)`);
    assert.equal((await done).status.code, status.OK);
  });

  it('sends NOT_SERVING to health Watch streams, then ends them', async () => {
    s = await startTeacher();
    s.server.setServing(true);
    const Health = makeClientConstructor(healthService as unknown as ServiceDefinition, 'grpc.health.v1.Health') as unknown as
      new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client & { Watch(req: { service: string }, md: Metadata): ClientReadableStream<{ status: string }> };
    const health = new Health(s.address, credentials.createInsecure());
    try {
      const seen: string[] = [];
      const { first, done } = follow(health.Watch({ service: SERVICES.Teacher }, new Metadata()), (m) => seen.push(m.status));
      await first;
      const r = await s.server.shutdown(3000);
      assert.equal(r.forced, false);
      assert.equal(r.endedStreams, 1);
      assert.equal((await done).status.code, status.OK);
      assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
    } finally {
      health.close();
    }
  });

  it('lets a running unary call finish, then refuses new calls', async () => {
    s = await startTeacher({}, teacherImpl({
      GetState: async (req) => {
        await new Promise((r) => setTimeout(r, 150));
        return { run_id: req.run_id, loaded: true };
      },
    }));
    client = makeClient('Teacher', s.address, { token: 's3cret-token' });
    const call = unary(client, 'GetState', { run_id: 'slow' });
    await new Promise((r) => setTimeout(r, 30));
    const r = await s.server.shutdown(3000);
    assert.equal((await call).run_id, 'slow');
    assert.equal(r.forced, false);
    assert.ok(r.seconds >= 0.05 && r.seconds < 2, `shutdown took ${r.seconds} s (deadline 3 s)`);
    await rejectsWith(unary(client, 'GetState', { run_id: 'late' }, { deadlineMs: 1000 }), status.UNAVAILABLE);
  });

  it('force-shuts down at the deadline when a call never finishes', async () => {
    s = await startTeacher({}, teacherImpl({ Predict: () => new Promise(() => {}) }));
    client = makeClient('Teacher', s.address);
    const call = unary(client, 'Predict', { run_id: 'r' });
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    const r = await s.server.shutdown(300);
    const ms = performance.now() - t0;
    assert.equal(r.forced, true);
    assert.ok(ms >= 290 && ms < 2000, `shutdown took ${ms} ms (deadline 300 ms)`);
    const err = await call.then(() => assert.fail('the stuck call succeeded'), (e: { code: status }) => e);
    assert.ok([status.CANCELLED, status.UNAVAILABLE].includes(err.code), `code ${status[err.code]}`);
  });
});
