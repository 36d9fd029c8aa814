/**
 * The execution provider of a service process (teacher, student): the `runtime` settings
 *
 *   runtime.provider          run | cpu | cuda | webgpu   SFDA_RUNTIME_PROVIDER, --runtime.provider
 *   runtime.providerFallback  error | cpu                 SFDA_RUNTIME_PROVIDER_FALLBACK, --runtime.providerFallback
 *
 * cpu | cuda | webgpu: the provider is probed once at start (a one-op onnxruntime session). When
 * it cannot start, the process does not start: the error names the setting and what is missing
 * (lib/engine/runtime/provider-diagnosis.ts: for 'cuda' the provider libraries, each CUDA
 * library, the driver) — unless providerFallback is 'cpu', which logs the fallback and its reason
 * and uses the CPU. The provider in use is logged at start ('execution provider') and exported as
 * sfda_execution_provider_info{provider} 1, and every run this process loads runs on it, whatever
 * its run config's runtime.provider says (a different request is logged, and the run's record —
 * config.json and its hash — is left as the run's own, so a run resumes on any process).
 *
 * run (default): each run's config decides (runtime.provider, runtime.fallback), probed when the
 * run is loaded or started; the metric then shows the provider of the run loaded last.
 */
import type { Resolved, Schema } from '../../config/schema.js';
import { ConfigError } from '../../config/schema.js';
import { chooseProvider, ProviderUnavailableError, type ExecutionProvider, type ProviderFallback } from '../../engine/runtime/index.js';
import type { Logger } from '../../run/logger.js';
import type { ProviderMetrics } from '../metrics/info.js';

export const RUNTIME_SCHEMA = {
  runtime: {
    type: 'object', doc: 'onnxruntime execution of this process', fields: {
      provider: {
        type: 'enum', values: ['run', 'cpu', 'cuda', 'webgpu'], default: 'run',
        doc: "execution provider of every run on this process (probed at start; overrides each run config's runtime.provider); 'run': each run config's runtime.provider decides",
      },
      providerFallback: {
        type: 'enum', values: ['error', 'cpu'], default: 'error',
        doc: "when runtime.provider cannot start: 'error' (the process does not start; the error names what is missing) or 'cpu' (an explicit, logged fallback to the CPU)",
      },
    },
  },
} as const satisfies Schema;

export type RuntimeSettings = Resolved<typeof RUNTIME_SCHEMA>['runtime'];

/** What the process runs on. */
export interface ProcessProvider {
  /** the setting as given */
  readonly requested: RuntimeSettings['provider'];
  /** the provider every run uses; undefined when each run's config decides ('run') */
  readonly provider?: ExecutionProvider;
  /** set when the requested provider could not start and providerFallback 'cpu' was applied */
  readonly fallbackReason?: string;
}

/**
 * Probes the process's provider (unless 'run'), logs it and sets the provider metric. A provider
 * that cannot start throws ConfigError('runtime.provider', …) naming what is missing, unless
 * providerFallback is 'cpu'.
 */
export async function startProvider(s: RuntimeSettings, logger: Logger, metrics: ProviderMetrics, probe: typeof chooseProvider = chooseProvider): Promise<ProcessProvider> {
  if (s.provider === 'run') {
    logger.info('execution provider', { provider: 'run', setting: 'runtime.provider', detail: "each run config's runtime.provider decides" });
    return { requested: 'run' };
  }
  const fallback: ProviderFallback = s.providerFallback;
  let choice;
  try {
    choice = await probe(s.provider, fallback, (m) => logger.warn(m, { setting: 'runtime.providerFallback' }));
  } catch (e) {
    if (e instanceof ProviderUnavailableError) {
      throw new ConfigError('runtime.provider', `${e.message.replace(/\(fallback: 'cpu'\)$/, "(runtime.providerFallback 'cpu')")}`);
    }
    throw e;
  }
  metrics.setProvider(choice.provider);
  logger.info('execution provider', {
    provider: choice.provider, requested: s.provider, fallback: s.providerFallback,
    ...(choice.fallbackReason !== undefined ? { fallback_reason: choice.fallbackReason } : {}),
  });
  return { requested: s.provider, provider: choice.provider, ...(choice.fallbackReason !== undefined ? { fallbackReason: choice.fallbackReason } : {}) };
}

/**
 * The provider a run uses on this process: the process's own (a different request in the run
 * config is logged), or, with 'run', the run config's, probed now with its fallback policy (a
 * fallback is logged). Either way the run's runners then start it with fallback 'error'.
 */
export async function providerForRun(p: ProcessProvider, runtime: { readonly provider: ExecutionProvider; readonly fallback: ProviderFallback }, logger: Logger, runId: string, probe: typeof chooseProvider = chooseProvider): Promise<ExecutionProvider> {
  if (p.provider !== undefined) {
    if (runtime.provider !== p.provider) {
      logger.info('run config runtime.provider overridden by this process', { run: runId, requested: runtime.provider, provider: p.provider, setting: 'runtime.provider' });
    }
    return p.provider;
  }
  const c = await probe(runtime.provider, runtime.fallback, (m) => logger.warn(m, { run: runId }));
  return c.provider;
}
