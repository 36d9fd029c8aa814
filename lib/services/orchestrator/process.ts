/**
 * The orchestrator as a service process (orchestrator/main.ts runs it with serviceMain; tests
 * start it in-process with startService): the settings schema, and a build step that loads the
 * run registry, re-attaches to the active runs, adds sfda.v1.Orchestrator to the server and
 * turns health SERVING once the registry is loaded. On SIGTERM the server ends open WatchRun
 * streams cleanly, then close() detaches from the runs (their phases stay, for the next start)
 * and writes every run.json.
 */
import { ConfigError } from '../../config/schema.js';
import type { ServiceMainOptions } from '../process/service-main.js';
import { Orchestrator, checkRunsRoot } from './service.js';
import { ORCHESTRATOR_SCHEMA, orchestratorOptions, type OrchestratorSettings } from './settings.js';

export const ORCHESTRATOR_SUMMARY =
  'owns adaptation runs: validates configs, starts, stops and resumes them on the student service, ' +
  'keeps run.json beside each run directory, recovers runs when the student restarts, evaluates ' +
  'through the teacher and exports the adapted model.';

/** The serviceMain / startService options of the orchestrator (`onOpen` sees the instance: tests). */
export function orchestratorService(hooks: { onOpen?: (o: Orchestrator) => void } = {}): ServiceMainOptions<'orchestrator', typeof ORCHESTRATOR_SCHEMA> {
  return {
    component: 'orchestrator',
    summary: ORCHESTRATOR_SUMMARY,
    schema: ORCHESTRATOR_SCHEMA,
    build: async ({ cfg, logger, metrics, server }) => {
      const opts = orchestratorOptions(cfg as OrchestratorSettings);
      try {
        checkRunsRoot(opts.runsRoot);
      } catch (e) {
        throw new ConfigError('orchestrator.runsRoot', `${opts.runsRoot} is not a writable folder (${(e as Error).message})`);
      }
      const orch = await Orchestrator.open({ ...opts, logger, metrics });
      hooks.onOpen?.(orch);
      server.add('Orchestrator', orch.impl);
      return {
        started: () => server.setServing(orch.ready),
        close: () => orch.close(),
      };
    },
  };
}
