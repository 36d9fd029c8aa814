#!/usr/bin/env node
/**
 * The student service process: serves sfda.v1.Student — runs adaptation runs (MOCM/ClassMix
 * and reliability-weighted steps on its own runner), asks the teacher service for
 * pseudo-labels and reliabilities, publishes its weights to NATS, checkpoints, reports
 * progress.
 *
 *   node dist/student-service/main.js --grpc.port 50062 --student.teacher 127.0.0.1:50061
 *   node dist/student-service/main.js --help
 *
 * SIGTERM stops the running run after its current iteration with a checkpoint.
 */
import type { Schema } from '../lib/config/schema.js';
import { openWeightStore, syncObserver } from '../lib/services/process/nats.js';
import { serviceMain } from '../lib/services/process/service-main.js';
import { RUNTIME_SCHEMA, startProvider } from '../lib/services/process/runtime.js';
import { StudentService } from '../lib/services/student/student-service.js';

const SCHEMA = {
  student: {
    type: 'object', doc: 'the student', fields: {
      teacher: { type: 'string', default: '127.0.0.1:50061', doc: 'address of the teacher service (host:port) when a run names none' },
      quantizeBits: { type: 'int', default: 0, min: 0, max: 16, doc: 'pipelined runs: reliabilities/confidences as 8 or 16 bit (0: float32)' },
    },
  },
  ...RUNTIME_SCHEMA,
} as const satisfies Schema;

serviceMain({
  component: 'student',
  summary: 'STvM student over gRPC (sfda.v1.Student): runs adaptation runs against the teacher service.',
  schema: SCHEMA,
  build: async ({ cfg, logger, metrics, server }) => {
    const bits = cfg.student.quantizeBits;
    if (bits !== 0 && bits !== 8 && bits !== 16) throw new Error(`config field 'student.quantizeBits': ${bits} is not 0, 8 or 16`);
    const provider = await startProvider(cfg.runtime, logger, metrics.provider);
    const store = await openWeightStore(cfg, 'student', syncObserver(metrics, logger, 'publish'));
    const tls = cfg.tls.cert ? { cert: cfg.tls.cert, key: cfg.tls.key, ...(cfg.tls.ca ? { ca: cfg.tls.ca } : {}) } : undefined;
    const svc = new StudentService({
      store, metrics, logger, provider, teacher: cfg.student.teacher, pipelinedQuantizeBits: bits,
      teacherClient: { ...(cfg.auth.token ? { token: cfg.auth.token } : {}), ...(tls ? { tls } : {}) },
    });
    server.add('Student', svc.handlers);
    server.setServing(true);
    return { drain: () => svc.drain(), close: async () => { await svc.close(); await store.close(); } };
  },
});
