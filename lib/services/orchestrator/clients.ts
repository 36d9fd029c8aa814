/**
 * The orchestrator's clients of the student and the teacher: the shared client defaults
 * (message limits, bearer token, deadline on unary calls, optional TLS) plus a channel
 * reconnect backoff tied to the retry policy — grpc-js's default waits up to 2 minutes between
 * reconnect attempts, which would leave a restarted student unseen for that long.
 */
import type { ClientConfig, ClientOf, ClientTlsFiles } from '../grpc/index.js';
import { makeClient } from '../grpc/index.js';
import type { BackoffPolicy } from './backoff.js';

export interface Endpoint {
  /** host:port */
  readonly address: string;
  readonly tls?: ClientTlsFiles;
}

/** Client settings shared by every call to one peer. */
export function peerClientConfig(peer: Endpoint, o: { token?: string; deadlineMs: number; maxMessageBytes: number; policy: BackoffPolicy }): ClientConfig {
  return {
    ...(o.token ? { token: o.token } : {}),
    ...(peer.tls ? { tls: peer.tls } : {}),
    deadlineMs: o.deadlineMs,
    maxReceiveBytes: o.maxMessageBytes,
    maxSendBytes: o.maxMessageBytes,
    channelOptions: {
      'grpc.initial_reconnect_backoff_ms': Math.max(10, o.policy.baseMs),
      'grpc.max_reconnect_backoff_ms': Math.max(10, o.policy.maxMs),
    },
  };
}

/** A peer: its address, client settings (also for health checks) and typed client. */
export interface Peer<S extends 'Student' | 'Teacher'> {
  readonly address: string;
  readonly config: ClientConfig;
  readonly client: ClientOf<S>;
}

export function makePeer<S extends 'Student' | 'Teacher'>(service: S, address: string, config: ClientConfig): Peer<S> {
  return { address, config, client: makeClient(service, address, config) };
}
