/**
 * createServiceMetrics(component): one process's metrics, in a registry of its own (never
 * prom-client's global one), every series labelled component="teacher" | "student" |
 * "orchestrator". Each component gets the groups it reports; the type says which, so a teacher
 * cannot touch student metrics by mistake:
 *
 *   all          build (sfda_build_info), grpc (sfda_grpc_*), sync (sfda_weights_*), process_* / nodejs_*
 *   teacher      + teacher (sfda_teacher_*), pseudoLabels (sfda_pseudo_label_*), provider (sfda_execution_provider_info)
 *   student      + student (sfda_student_*), provider, checkpoint (sfda_checkpoint_*)
 *   orchestrator + orchestrator (sfda_orchestrator_runs, sfda_eval_miou_ratio), checkpoint
 *
 * Naming follows Prometheus conventions: one prefix (sfda_; process_/nodejs_ keep their
 * standard names), base units (_seconds, _bytes, ratios 0–1), _total only on counters, and no
 * unbounded labels (no run ids; enums for reasons and phases; class names capped).
 */
import { Registry, type Gauge } from 'prom-client';
import { codeVersion } from '../../run/code-version.js';
import { createCheckpointMetrics, type CheckpointMetrics } from './checkpoint.js';
import { createGrpcMetrics, type GrpcMetrics } from './grpc.js';
import { createBuildInfo, createProviderMetrics, type BuildInfo, type ProviderMetrics } from './info.js';
import { createOrchestratorMetrics, type OrchestratorMetrics } from './orchestrator.js';
import { registerProcessMetrics } from './process.js';
import { createPseudoLabelMetrics, type PseudoLabelMetrics } from './pseudo-labels.js';
import { createStudentMetrics, type StudentMetrics } from './student.js';
import { createTeacherMetrics, type TeacherMetrics } from './teacher.js';
import { createWeightsSyncMetrics, type WeightsSyncMetrics } from './weights-sync.js';

export const COMPONENTS = ['teacher', 'student', 'orchestrator'] as const;
export type Component = (typeof COMPONENTS)[number];

/** The groups every component has. */
export interface CommonMetrics<C extends Component> {
  readonly component: C;
  /** this process's registry: serve registry.metrics() with registry.contentType */
  readonly registry: Registry;
  build: Gauge<'version' | 'commit'>;
  grpc: GrpcMetrics;
  sync: WeightsSyncMetrics;
}

/** The groups each component adds. */
export interface ComponentGroups {
  teacher: { teacher: TeacherMetrics; pseudoLabels: PseudoLabelMetrics; provider: ProviderMetrics };
  student: { student: StudentMetrics; provider: ProviderMetrics; checkpoint: CheckpointMetrics };
  orchestrator: { orchestrator: OrchestratorMetrics; checkpoint: CheckpointMetrics };
}

export type ServiceMetrics<C extends Component = Component> = CommonMetrics<C> & ComponentGroups[C];

export interface ServiceMetricsOptions {
  /** version and commit for sfda_build_info (default: package.json version and `git rev-parse HEAD`) */
  build?: BuildInfo;
  /** phases of sfda_orchestrator_runs (default DEFAULT_RUN_PHASES) */
  runPhases?: readonly string[];
  /** register the process_* / nodejs_* metrics (default true) */
  processMetrics?: boolean;
}

function defaultBuild(): BuildInfo {
  const v = codeVersion();
  return { version: v.package, commit: v.dirty ? `${v.commit}-dirty` : v.commit };
}

export function createServiceMetrics<C extends Component>(component: C, opts: ServiceMetricsOptions = {}): ServiceMetrics<C> {
  if (!(COMPONENTS as readonly string[]).includes(component)) throw new Error(`unknown component '${component}' (expected ${COMPONENTS.join(' | ')})`);
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  if (opts.processMetrics ?? true) registerProcessMetrics(registry);
  const common: CommonMetrics<C> = {
    component,
    registry,
    build: createBuildInfo(registry, opts.build ?? defaultBuild()),
    grpc: createGrpcMetrics(registry),
    sync: createWeightsSyncMetrics(registry),
  };
  let groups: ComponentGroups[Component];
  switch (component as Component) {
    case 'teacher':
      groups = { teacher: createTeacherMetrics(registry), pseudoLabels: createPseudoLabelMetrics(registry), provider: createProviderMetrics(registry) };
      break;
    case 'student':
      groups = { student: createStudentMetrics(registry), provider: createProviderMetrics(registry), checkpoint: createCheckpointMetrics(registry) };
      break;
    case 'orchestrator':
      groups = { orchestrator: createOrchestratorMetrics(registry, opts.runPhases), checkpoint: createCheckpointMetrics(registry) };
      break;
  }
  return { ...common, ...groups } as unknown as ServiceMetrics<C>;
}
