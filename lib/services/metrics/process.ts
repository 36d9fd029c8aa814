/**
 * Process metrics: prom-client's default collectors (process_cpu_seconds_total,
 * process_resident_memory_bytes, process_start_time_seconds, nodejs_eventloop_lag_seconds,
 * nodejs_heap_size_used_bytes, nodejs_gc_duration_seconds, ...), under their standard names so
 * that stock Node.js dashboards work, minus the ones that break Prometheus naming.
 *
 * Measured with promtool 2.42 and prom-client 15.1: the full default set fails
 * `promtool check metrics` — nodejs_active_handles_total, nodejs_active_requests_total and
 * nodejs_active_resources_total are gauges named `_total` (prom-client issue #283). Every
 * non-counter whose name ends in `_total` is dropped (the same facts remain as
 * nodejs_active_handles etc.); what is left passes promtool.
 */
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';

/** Registers the process metrics in `registry`; returns the names of the default metrics dropped. */
export function registerProcessMetrics(registry: Registry): string[] {
  // collected into a scratch registry first, so that only prom-client's own metrics are filtered
  const scratch = new Registry();
  collectDefaultMetrics({ register: scratch });
  const dropped: string[] = [];
  for (const m of scratch.getMetricsAsArray() as unknown as (Metric & { name: string; type: string })[]) {
    if (m.type !== 'counter' && m.name.endsWith('_total')) dropped.push(m.name);
    else registry.registerMetric(m);
  }
  return dropped;
}
