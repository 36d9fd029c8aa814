/**
 * The orchestrator's view of its runs:
 *   sfda_orchestrator_runs{phase}   gauge: runs this orchestrator knows, by phase (every phase exported, 0 included)
 *   sfda_eval_miou_ratio            gauge: mIoU (0–1) of the latest diagnostic evaluation
 * No run-id label: run ids are unbounded. Per-run detail belongs to the orchestrator's API
 * (GetRun / WatchRun) and its run directories, not to Prometheus.
 */
import { Gauge, type Registry } from 'prom-client';

/**
 * Run phases exported by default (the proto's RunPhase names). RECOVERING: the orchestrator lost
 * the student (killed, restarting) and is bringing the run back from its latest checkpoint.
 */
export const DEFAULT_RUN_PHASES = ['PENDING', 'QUEUED', 'STARTING', 'RUNNING', 'RECOVERING', 'STOPPING', 'STOPPED', 'FINISHED', 'FAILED'] as const;

export interface OrchestratorMetrics {
  runs: Gauge<'phase'>;
  evalMiou: Gauge;
  /** The phases the `phase` label may take. */
  readonly phases: readonly string[];
  /** Sets the runs-by-phase gauge from the phase of every known run (unknown phase: throws). */
  setRunPhases(phases: Iterable<string>): void;
}

export function createOrchestratorMetrics(registry: Registry, phases: readonly string[] = DEFAULT_RUN_PHASES): OrchestratorMetrics {
  const registers = [registry];
  const runs = new Gauge({
    name: 'sfda_orchestrator_runs',
    help: 'Runs known to the orchestrator, by phase.',
    labelNames: ['phase'] as const,
    registers,
  });
  for (const phase of phases) runs.set({ phase }, 0);
  const evalMiou = new Gauge({
    name: 'sfda_eval_miou_ratio',
    help: 'Mean intersection-over-union (0-1) of the latest diagnostic evaluation on the labelled evaluation split.',
    registers,
  });
  return {
    runs,
    evalMiou,
    phases,
    setRunPhases(list) {
      const counts = new Map<string, number>(phases.map((p) => [p, 0]));
      for (const p of list) {
        const n = counts.get(p);
        if (n === undefined) throw new Error(`run phase '${p}' is not one of ${phases.join(', ')}`);
        counts.set(p, n + 1);
      }
      for (const [phase, n] of counts) runs.set({ phase }, n);
    },
  };
}
