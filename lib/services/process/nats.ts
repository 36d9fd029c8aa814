/** The weight store of a service process, from its `nats` settings (process/config.ts). */
import type { Logger } from '../../run/logger.js';
import type { WeightsSyncMetrics } from '../metrics/index.js';
import { WeightStore, type SyncObserver } from '../sync/index.js';
import type { CommonConfig } from './config.js';

export function syncObserver(metrics: { sync: WeightsSyncMetrics }, logger: Logger, side: 'publish' | 'pull'): SyncObserver {
  return {
    ...(side === 'publish'
      ? { onPublish: (e) => { metrics.sync.bytes.inc(e.bytes); metrics.sync.seconds.observe(e.seconds); } }
      : {}),
    onFailure: (e) => {
      const reason = e.code === 'STALE_VERSION' ? 'stale' : e.code === 'SNAPSHOT_CORRUPT' ? 'corrupt' : e.code === 'WAIT_TIMEOUT' ? 'timeout' : 'unavailable';
      if (side === 'publish' || reason !== 'corrupt') metrics.sync.recordFailure(reason);
      logger.warn('weight sync failure', { op: e.op, code: e.code, error: e.error.message });
    },
    onConnection: (e) => logger.info('nats connection', { status: e.type, ...(e.server ? { server: e.server } : {}) }),
  };
}

export function openWeightStore(cfg: CommonConfig, name: string, observer: SyncObserver): Promise<WeightStore> {
  const n = cfg.nats;
  return WeightStore.open({
    servers: n.servers.split(',').map((s) => s.trim()).filter(Boolean), name, observer, waitOnFirstConnect: true,
    ...(n.user ? { user: n.user, pass: n.pass } : {}), ...(n.token ? { token: n.token } : {}), ...(n.creds ? { credsFile: n.creds } : {}),
  });
}
