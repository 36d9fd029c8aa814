/** Prometheus metrics of the teacher, student and orchestrator services (see registry.ts). */
export { createServiceMetrics, COMPONENTS, type Component, type ServiceMetrics, type ServiceMetricsOptions, type CommonMetrics, type ComponentGroups } from './registry.js';
export { serveMetrics, type MetricsServer, type MetricsServerOptions } from './http.js';
export { grpcCodeName, splitGrpcPath, MAX_GRPC_METHODS, type GrpcMetrics } from './grpc.js';
export { SYNC_FAILURE_REASONS, type SyncFailureReason, type WeightsSyncMetrics } from './weights-sync.js';
export { DEFAULT_RUN_PHASES, type OrchestratorMetrics } from './orchestrator.js';
export { MAX_CLASS_LABELS, type PseudoLabelBatch, type PseudoLabelMetrics } from './pseudo-labels.js';
export { BulkHistogram } from './bulk-histogram.js';
export type { StudentMetrics } from './student.js';
export type { TeacherMetrics } from './teacher.js';
export type { CheckpointMetrics } from './checkpoint.js';
export type { BuildInfo, ProviderMetrics } from './info.js';
export { LATENCY_BUCKETS_SECONDS, STEP_BUCKETS_SECONDS, TRANSFER_BUCKETS_SECONDS, RATIO_BUCKETS } from './buckets.js';
