#!/usr/bin/env node
// One grpc.health.v1 Check against this container's gRPC server; exit 0 when SERVING.
// Used by the image's HEALTHCHECK, docker compose and (with TLS on) as a Kubernetes exec probe,
// because the kubelet's native gRPC probe speaks plaintext only.
//
//   node healthcheck.mjs [service] [address]
//     service  '' (default: the whole server, i.e. liveness) or sfda.v1.Teacher / Student /
//              Orchestrator (readiness; the teacher is NOT_SERVING until a run is loaded)
//     address  default 127.0.0.1:$SFDA_GRPC_PORT
//
// Environment: HEALTHCHECK_SERVICE, HEALTHCHECK_ADDRESS, HEALTHCHECK_DEADLINE_MS (default 3000),
// HEALTHCHECK_TLS_SERVER_NAME (name the server certificate is checked against; default the
// address host). TLS is used when SFDA_TLS_CA or SFDA_TLS_CERT is set (the service's own tls
// settings; cert + key are presented when SFDA_TLS_MUTUAL is true). The health service needs
// no bearer token.
import { healthCheck } from '../../dist/lib/services/grpc/client.js';

const env = process.env;
const service = process.argv[2] ?? env.HEALTHCHECK_SERVICE ?? '';
const port = env.SFDA_GRPC_PORT;
const address = process.argv[3] ?? env.HEALTHCHECK_ADDRESS ?? (port ? `127.0.0.1:${port}` : '');
if (!address) {
  console.error('healthcheck: no address (set SFDA_GRPC_PORT or HEALTHCHECK_ADDRESS, or pass host:port)');
  process.exit(2);
}
const deadlineMs = Number(env.HEALTHCHECK_DEADLINE_MS ?? 3000);
const cfg = {};
if (env.SFDA_TLS_CA || env.SFDA_TLS_CERT) {
  const mutual = /^(1|true|yes)$/i.test(env.SFDA_TLS_MUTUAL ?? '');
  cfg.tls = {
    ...(env.SFDA_TLS_CA ? { ca: env.SFDA_TLS_CA } : {}),
    ...(mutual && env.SFDA_TLS_CERT && env.SFDA_TLS_KEY ? { cert: env.SFDA_TLS_CERT, key: env.SFDA_TLS_KEY } : {}),
    ...(env.HEALTHCHECK_TLS_SERVER_NAME ? { serverName: env.HEALTHCHECK_TLS_SERVER_NAME } : {}),
  };
}
try {
  const status = await healthCheck(address, service, cfg, deadlineMs);
  const name = service || '(server)';
  if (status === 'SERVING') {
    console.log(`${name} at ${address}: SERVING`);
    process.exit(0);
  }
  console.error(`${name} at ${address}: ${status}`);
  process.exit(1);
} catch (err) {
  console.error(`healthcheck ${address}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
