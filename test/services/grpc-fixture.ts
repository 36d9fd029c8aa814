/**
 * A small Teacher server for the gRPC infrastructure tests, built with the helpers under test:
 * Predict echoes `images` back as `labels` (any dtype; run_id selects error classes), Label
 * returns a quantised reliability map, GetState needs the bearer token (when configured),
 * ExportState streams a chunk every 10 ms until the client or the server ends it.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import {
  createServer, decodeFloatMap, decodeTensor, encodeFloatMap, encodeTensor, FailedPrecondition, NotFound,
  requireString, Unavailable, Unimplemented,
} from '../../lib/services/grpc/index.js';
import type { CallHook, GrpcServer, ServerConfig, ServiceImpl } from '../../lib/services/grpc/index.js';
import type { TeacherHandlers } from '../../proto/gen/sfda/v1/Teacher.js';

export const TOKEN = 's3cret-token';

const unimplemented = (name: string) => () => { throw new Unimplemented(`${name} is not in the test server`); };

export function teacherImpl(overrides: Partial<ServiceImpl<TeacherHandlers>> = {}): ServiceImpl<TeacherHandlers> {
  return {
    LoadRun: unimplemented('LoadRun'),
    SyncWeights: unimplemented('SyncWeights'),
    ImportState: unimplemented('ImportState'),
    Predict: (req) => {
      const runId = requireString(req.run_id, 'run_id');
      if (runId === 'not-found') throw new NotFound(`run ${runId} not found`);
      if (runId === 'precondition') throw new FailedPrecondition('no run loaded');
      if (runId === 'unavailable') throw new Unavailable('weights store unreachable');
      if (runId === 'boom') throw new Error('kaboom');
      const images = decodeTensor(req.images, 'images');
      return { weights: { version: 7, digest: 'abc' }, labels: encodeTensor(images, 'labels') };
    },
    Label: (req) => {
      requireString(req.run_id, 'run_id');
      const images = decodeFloatMap(req.images, 'images');
      return { reliability: encodeFloatMap(images.data as Float32Array, images.shape, req.quantize_bits as 0 | 8 | 16, 'reliability') };
    },
    GetState: (req) => ({ run_id: req.run_id, loaded: true, weights: { version: 3, digest: 'd' }, label_requests: 2 ** 40 }),
    ExportState: async (_req, ctx) => {
      let i = 0;
      while (!ctx.signal.aborted) {
        if (!(await ctx.send({ data: Buffer.from([i++ & 255]) }))) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    ...overrides,
  };
}

export interface Started {
  server: GrpcServer;
  address: string;
  port: number;
  calls: { method: string; code: number; seconds: number }[];
  /** 'method: message' of errors that became INTERNAL. */
  internal: string[];
}

/** Starts a Teacher test server on 127.0.0.1:0 (token on GetState only, unless `token` given). */
export async function startTeacher(cfg: ServerConfig = {}, impl = teacherImpl()): Promise<Started> {
  const calls: Started['calls'] = [];
  const internal: string[] = [];
  const onCall: CallHook = (method, code, seconds) => calls.push({ method, code, seconds });
  const server = createServer({ onCall, onInternalError: (m, e) => internal.push(`${m}: ${(e as Error).message}`), ...cfg });
  server.add('Teacher', impl, { token: cfg.token ?? TOKEN, publicMethods: ['Predict', 'Label', 'ExportState'] });
  const port = await server.bind('127.0.0.1:0');
  return { server, address: `127.0.0.1:${port}`, port, calls, internal };
}

/** Asserts that a promise rejects with a gRPC status (and details matching `details`). */
export async function rejectsWith(p: Promise<unknown>, code: status, details?: RegExp): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    assert.equal(err.code, code, `expected ${status[code]}, got ${status[err.code] ?? String(err.code)}: ${err.details ?? err.message}`);
    if (details) assert.match(err.details, details);
    return err;
  }
  assert.fail(`expected ${status[code]}, but the call succeeded`);
}
