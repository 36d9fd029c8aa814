/**
 * Info gauges (value 1, the facts in labels; join them onto other series in PromQL):
 *   sfda_build_info{version, commit}          the package version and git commit this process runs
 *   sfda_execution_provider_info{provider}    the onnxruntime execution provider actually in use
 *                                             (cpu, webgpu, cuda): a fallback must never be silent
 */
import { Gauge, type Registry } from 'prom-client';

export interface BuildInfo {
  version: string;
  commit: string;
}

export interface ProviderMetrics {
  providerInfo: Gauge<'provider'>;
  /** Marks `provider` as the one in use (value 1), dropping any previous one. */
  setProvider(provider: string): void;
}

export function createBuildInfo(registry: Registry, build: BuildInfo): Gauge<'version' | 'commit'> {
  const g = new Gauge({
    name: 'sfda_build_info',
    help: 'Constant 1, labelled with the package version and git commit of the running code.',
    labelNames: ['version', 'commit'] as const,
    registers: [registry],
  });
  g.set({ version: build.version, commit: build.commit }, 1);
  return g;
}

export function createProviderMetrics(registry: Registry): ProviderMetrics {
  const providerInfo = new Gauge({
    name: 'sfda_execution_provider_info',
    help: 'Constant 1, labelled with the onnxruntime execution provider this process actually runs its models on.',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  return {
    providerInfo,
    setProvider(provider) {
      // a short identifier (cpu, webgpu, cuda, ...): anything else would be an unbounded label
      if (!/^[a-z][a-z0-9_-]{0,31}$/.test(provider)) throw new Error(`execution provider name '${provider}' is not a short lowercase identifier`);
      providerInfo.reset();
      providerInfo.set({ provider }, 1);
    },
  };
}
