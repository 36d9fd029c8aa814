#!/usr/bin/env node
/**
 * The teacher service process: serves sfda.v1.Teacher — EMA predictions, pseudo-labels and
 * metric reliabilities for the student's batches, the online metric step, weight snapshots
 * pulled from NATS — over the same TeacherCore as the single-process loop.
 *
 *   node dist/teacher-service/main.js --grpc.port 50061 --nats.servers nats://127.0.0.1:4222
 *   node dist/teacher-service/main.js --help
 *
 * Health is NOT_SERVING until a run is loaded (LoadRun).
 */
import type { Schema } from '../lib/config/schema.js';
import { openWeightStore, syncObserver } from '../lib/services/process/nats.js';
import { serviceMain } from '../lib/services/process/service-main.js';
import { RUNTIME_SCHEMA, startProvider } from '../lib/services/process/runtime.js';
import { TeacherService } from '../lib/services/teacher/teacher-service.js';

const SCHEMA = {
  teacher: {
    type: 'object', doc: 'the teacher', fields: {
      threads: { type: 'int', default: 0, min: 0, doc: "onnxruntime intra-op threads per run (0: the run config's runtime.threads)" },
      waitMs: { type: 'int', default: 60000, min: 0, doc: 'how long a label request waits for the weights version it needs (ms)' },
    },
  },
  ...RUNTIME_SCHEMA,
} as const satisfies Schema;

serviceMain({
  component: 'teacher',
  summary: 'EMA teacher and metric network of STvM over gRPC (sfda.v1.Teacher); weights from NATS.',
  schema: SCHEMA,
  build: async ({ cfg, logger, metrics, server }) => {
    const provider = await startProvider(cfg.runtime, logger, metrics.provider);
    const store = await openWeightStore(cfg, 'teacher', syncObserver(metrics, logger, 'pull'));
    const svc = new TeacherService({ store, metrics, logger, provider, threads: cfg.teacher.threads, waitMs: cfg.teacher.waitMs, onLoaded: () => server.setServing(true) });
    server.add('Teacher', svc.handlers);
    // the server itself answers health checks as SERVING (it is up); sfda.v1.Teacher turns
    // SERVING once a run is loaded — the readiness a deployment probes
    server.setServing(true, '');
    return { close: async () => { await svc.close(); await store.close(); } };
  },
});
