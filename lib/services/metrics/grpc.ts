/**
 * gRPC metrics, named after go-grpc-prometheus (the de-facto convention) with the project
 * prefix, for servers and clients alike:
 *   sfda_grpc_server_handled_total{service, method, code}    counter: RPCs completed by the server
 *   sfda_grpc_server_handling_seconds{service, method}       histogram: server-side latency
 *   sfda_grpc_client_handled_total{service, method, code}    counter: RPCs this process made
 *   sfda_grpc_client_handling_seconds{service, method}       histogram: client-side latency
 * `service` is the proto service ("sfda.v1.Teacher"), `method` the RPC ("Label"), `code` the
 * status name ("OK", "UNAVAILABLE"): bounded by the proto and by gRPC's 17 codes. Because a
 * client can call any path, a server call answered UNIMPLEMENTED (a method this server does not
 * have) is counted as service="unknown", method="unknown", and past MAX_GRPC_METHODS distinct
 * methods further ones count as "other": no caller can grow the label set without bound.
 */
import { status } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';

export interface GrpcMetrics {
  serverHandled: Counter<'service' | 'method' | 'code'>;
  serverHandlingSeconds: Histogram<'service' | 'method'>;
  clientHandled: Counter<'service' | 'method' | 'code'>;
  clientHandlingSeconds: Histogram<'service' | 'method'>;
  /** Records one RPC a server handled: `path` is the call path, "/sfda.v1.Teacher/Label" (leading slash optional). */
  observeServer(path: string, code: number, seconds: number): void;
  /** Records one RPC this process made as a client. */
  observeClient(path: string, code: number, seconds: number): void;
}

/** The most distinct (service, method) label pairs each of the server and client sides keeps. */
export const MAX_GRPC_METHODS = 64;

/** gRPC status name of a numeric code ("OK", "DEADLINE_EXCEEDED"); out-of-range codes are "UNKNOWN". */
export function grpcCodeName(code: number): string {
  const name = (status as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : 'UNKNOWN';
}

/** "/sfda.v1.Teacher/Label" → { service: "sfda.v1.Teacher", method: "Label" }. */
export function splitGrpcPath(path: string): { service: string; method: string } {
  const m = /^\/?([^/]+)\/([^/]+)$/.exec(path);
  return m ? { service: m[1]!, method: m[2]! } : { service: 'unknown', method: 'unknown' };
}

/** Labels for `path`, bounded: at most MAX_GRPC_METHODS pairs in `seen`, then "other". */
function boundedLabels(seen: Set<string>, path: string): { service: string; method: string } {
  const l = splitGrpcPath(path);
  const key = `${l.service}/${l.method}`;
  if (seen.has(key)) return l;
  if (seen.size >= MAX_GRPC_METHODS) return { service: 'other', method: 'other' };
  seen.add(key);
  return l;
}

export function createGrpcMetrics(registry: Registry): GrpcMetrics {
  const registers = [registry];
  const serverHandled = new Counter({
    name: 'sfda_grpc_server_handled_total',
    help: 'gRPC calls completed by this server, by service, method and status code.',
    labelNames: ['service', 'method', 'code'] as const,
    registers,
  });
  const serverHandlingSeconds = new Histogram({
    name: 'sfda_grpc_server_handling_seconds',
    help: 'Time this server took to complete a gRPC call (for a stream: until it ended), by service and method.',
    labelNames: ['service', 'method'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const clientHandled = new Counter({
    name: 'sfda_grpc_client_handled_total',
    help: 'gRPC calls this process made as a client and saw complete, by service, method and status code.',
    labelNames: ['service', 'method', 'code'] as const,
    registers,
  });
  const clientHandlingSeconds = new Histogram({
    name: 'sfda_grpc_client_handling_seconds',
    help: 'Time from starting a gRPC call as a client to its status, by service and method.',
    labelNames: ['service', 'method'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const serverSeen = new Set<string>();
  const clientSeen = new Set<string>();
  return {
    serverHandled,
    serverHandlingSeconds,
    clientHandled,
    clientHandlingSeconds,
    observeServer(path, code, seconds) {
      const l = code === status.UNIMPLEMENTED ? { service: 'unknown', method: 'unknown' } : boundedLabels(serverSeen, path);
      serverHandled.inc({ ...l, code: grpcCodeName(code) });
      serverHandlingSeconds.observe(l, seconds);
    },
    observeClient(path, code, seconds) {
      const l = boundedLabels(clientSeen, path);
      clientHandled.inc({ ...l, code: grpcCodeName(code) });
      clientHandlingSeconds.observe(l, seconds);
    },
  };
}
