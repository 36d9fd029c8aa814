/**
 * The life of a service process, the same for the teacher, the student and the orchestrator:
 *
 *   settings   --config FILE, SFDA_* environment, --section.field flags (config.ts); --help
 *   logging    JSON lines on stderr (and a file), every record tagged with the component
 *   metrics    its own prom-client registry on /metrics (lib/services/metrics), gRPC calls
 *              counted by method and code through the server's call hook
 *   gRPC       limits, TLS/mTLS, bearer token, health (NOT_SERVING until the service says it
 *              is ready), reflection (lib/services/grpc)
 *   ready      one JSON line on stdout: {"event":"listening","component",…,"grpc","metrics","pid"}
 *              — what `sfda up` and the tests read to find the bound ports
 *   SIGTERM    NOT_SERVING, the service's drain() (e.g. the student checkpoints its run),
 *              open streams ended, tryShutdown with the deadline, then forceShutdown; exit 0
 */
import fs from 'node:fs';
import { ConfigError, type Resolved, type Schema } from '../../config/schema.js';
import { createLogger, type Logger } from '../../run/logger.js';
import { createServer, type GrpcServer, type ServerTlsFiles } from '../grpc/index.js';
import { createServiceMetrics, serveMetrics, type Component, type MetricsServer, type ServiceMetrics } from '../metrics/index.js';
import { COMMON_SCHEMA, loadProcessConfig, settingsHelp, type CommonConfig } from './config.js';

export interface ServiceContext<C extends Component, Cfg> {
  readonly cfg: Cfg & CommonConfig;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics<C>;
  readonly server: GrpcServer;
}

export interface ServiceParts {
  /** Called once the server is bound (the bound gRPC address). */
  readonly started?: (address: string) => Promise<void> | void;
  /** On SIGTERM, before the server goes down: finish or checkpoint in-flight work. */
  readonly drain?: () => Promise<void>;
  /** After the server is down: close connections, runners. */
  readonly close?: () => Promise<void>;
}

export interface ServiceMainOptions<C extends Component, S extends Schema> {
  readonly component: C;
  /** One paragraph for --help. */
  readonly summary: string;
  /** The service's own settings (beside COMMON_SCHEMA's). */
  readonly schema: S;
  /** Adds the service to ctx.server and returns its lifecycle hooks. */
  readonly build: (ctx: ServiceContext<C, Resolved<S>>) => Promise<ServiceParts>;
  readonly argv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningService {
  readonly address: string;
  readonly metricsAddress?: string;
  /** The same as SIGTERM. */
  stop(): Promise<void>;
}

/** Starts a service process (or, in tests, a service inside the calling process). */
export async function startService<C extends Component, S extends Schema>(o: ServiceMainOptions<C, S>): Promise<RunningService | undefined> {
  const argv = [...(o.argv ?? process.argv.slice(2))];
  const schema = { ...COMMON_SCHEMA, ...o.schema } as const;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${o.component} service — ${o.summary}\n\nSettings (a JSON file with --config FILE, the environment, or flags; later wins):\n${settingsHelp(schema).join('\n')}\n`);
    return undefined;
  }
  let file: string | undefined;
  const ci = argv.indexOf('--config');
  if (ci >= 0) {
    file = argv[ci + 1];
    if (file === undefined) throw new ConfigError('config', '--config needs a file');
    argv.splice(ci, 2);
  }
  const cfg = loadProcessConfig(schema, { ...(file ? { file } : {}), env: o.env ?? process.env, flags: argv }) as unknown as Resolved<S> & CommonConfig;
  const logger = createLogger({ console: cfg.log.level, base: { component: o.component }, ...(cfg.log.file ? { file: cfg.log.file } : {}) });
  const metrics = createServiceMetrics(o.component);
  const server = createServer({
    maxReceiveBytes: cfg.grpc.maxMessageBytes, maxSendBytes: cfg.grpc.maxMessageBytes,
    ...(cfg.auth.token ? { token: cfg.auth.token } : {}),
    onCall: (method, code, seconds) => metrics.grpc.observeServer(method, code, seconds),
    onInternalError: (method, err) => logger.error('internal error', { method, error: (err as Error).stack ?? String(err) }),
  });
  const parts = await o.build({ cfg, logger, metrics, server });
  if (cfg.tls.mutual && !(cfg.tls.cert && cfg.tls.ca)) throw new ConfigError('tls.mutual', 'mutual TLS needs tls.cert, tls.key and tls.ca (the CA that signs the clients)');
  const tls: ServerTlsFiles | undefined = cfg.tls.cert
    ? { cert: cfg.tls.cert, key: cfg.tls.key, ...(cfg.tls.ca ? { clientCa: cfg.tls.ca } : {}), requireClientCert: cfg.tls.mutual }
    : undefined;
  if (tls) for (const f of [tls.cert, tls.key, ...(tls.clientCa ? [tls.clientCa] : [])]) if (!fs.existsSync(f)) throw new ConfigError('tls', `file ${f} does not exist`);
  const port = await server.bind(`${cfg.grpc.host}:${cfg.grpc.port}`, tls);
  const address = `${cfg.grpc.host}:${port}`;
  let metricsServer: MetricsServer | undefined;
  if (cfg.metrics.enabled) metricsServer = await serveMetrics(metrics, { host: cfg.metrics.host, port: cfg.metrics.port });
  await parts.started?.(address);
  const metricsAddress = metricsServer ? `${cfg.metrics.host}:${metricsServer.port}` : undefined;
  process.stdout.write(`${JSON.stringify({ event: 'listening', component: o.component, grpc: address, ...(metricsAddress ? { metrics: metricsAddress } : {}), pid: process.pid })}\n`);
  logger.info('listening', { grpc: address, metrics: metricsAddress ?? null, tls: Boolean(tls), mtls: Boolean(tls?.requireClientCert), auth: Boolean(cfg.auth.token) });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down', { deadline_ms: cfg.grpc.shutdownDeadlineMs });
      server.setServing(false);
      const t0 = Date.now();
      try {
        await parts.drain?.();
      } catch (e) {
        logger.error('drain failed', { error: (e as Error).message });
      }
      const left = Math.max(0, cfg.grpc.shutdownDeadlineMs - (Date.now() - t0));
      const res = await server.shutdown(left);
      await parts.close?.().catch((e: Error) => logger.error('close failed', { error: e.message }));
      await metricsServer?.close();
      logger.info('stopped', { forced: res.forced, seconds: (Date.now() - t0) / 1000 });
    })();
    return stopping;
  };
  return { address, ...(metricsAddress ? { metricsAddress } : {}), stop };
}

/** For a process's main module: start, and stop on SIGTERM/SIGINT (exit 0), fail with exit 1. */
export function serviceMain<C extends Component, S extends Schema>(o: ServiceMainOptions<C, S>): void {
  startService(o).then((svc) => {
    if (!svc) return;
    let signals = 0;
    const onSignal = (sig: string) => {
      if (++signals > 1) process.exit(130);
      process.stderr.write(`${o.component}: ${sig}, shutting down\n`);
      svc.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  }, (e: Error) => {
    process.stderr.write(`${o.component}: ${e.name === 'ConfigError' ? e.message : e.stack ?? e.message}\n`);
    process.exit(e.name === 'ConfigError' ? 2 : 1);
  });
}
