/**
 * TLS credentials from PEM files: server-side TLS and mutual TLS (the server checks client
 * certificates against `ca`), client-side TLS (server verified against `ca`, or the system
 * roots) with an optional client certificate for mTLS. Without a TLS config both sides are
 * plaintext (loopback, tests, a trusted network).
 */
import fs from 'node:fs';
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';

/** Server TLS: PEM file paths. `clientCa` + requireClientCert = mutual TLS. */
export interface ServerTlsFiles {
  cert: string;
  key: string;
  /** CA bundle that client certificates must chain to (required for mutual TLS). */
  clientCa?: string;
  /** Refuse clients without a valid certificate (mutual TLS). */
  requireClientCert?: boolean;
}

/** Client TLS: PEM file paths. cert + key = present a client certificate (mutual TLS). */
export interface ClientTlsFiles {
  /** CA bundle the server certificate must chain to (default: the system roots). */
  ca?: string;
  cert?: string;
  key?: string;
  /** Name to verify the server certificate against instead of the address host. */
  serverName?: string;
}

function read(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`TLS ${what} ${file}: ${(e as Error).message}`);
  }
}

export function serverCredentials(tls?: ServerTlsFiles): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  if (tls.requireClientCert && !tls.clientCa) throw new Error('mutual TLS needs clientCa (the CA of the client certificates)');
  return ServerCredentials.createSsl(
    tls.clientCa ? read(tls.clientCa, 'clientCa') : null,
    [{ cert_chain: read(tls.cert, 'cert'), private_key: read(tls.key, 'key') }],
    tls.requireClientCert ?? false,
  );
}

export function channelCredentials(tls?: ClientTlsFiles): ChannelCredentials {
  if (!tls) return ChannelCredentials.createInsecure();
  if (!!tls.cert !== !!tls.key) throw new Error('a client certificate needs both cert and key');
  return ChannelCredentials.createSsl(
    tls.ca ? read(tls.ca, 'ca') : null,
    tls.key ? read(tls.key, 'key') : null,
    tls.cert ? read(tls.cert, 'cert') : null,
  );
}

/** Channel options for TLS (server name override). */
export function tlsChannelOptions(tls?: ClientTlsFiles): ChannelOptions {
  return tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
}
