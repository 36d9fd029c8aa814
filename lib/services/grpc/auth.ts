/**
 * Bearer-token authentication: the client sends `authorization: Bearer <token>` metadata (an
 * interceptor, so it works on plaintext channels too, where grpc-js refuses call credentials),
 * the server checks it per method (handlers.ts) and answers UNAUTHENTICATED with the reason.
 * Tokens are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { InterceptingCall, Metadata } from '@grpc/grpc-js';
import type { Interceptor } from '@grpc/grpc-js';
import { Unauthenticated } from './errors.js';

export const AUTH_HEADER = 'authorization';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Throws Unauthenticated unless the metadata carries `authorization: Bearer <token>`. */
export function checkBearer(metadata: Metadata, token: string): void {
  const values = metadata.get(AUTH_HEADER);
  if (values.length === 0) throw new Unauthenticated('missing authorization metadata (expected "Bearer <token>")');
  if (values.length > 1) throw new Unauthenticated('more than one authorization value');
  const v = String(values[0]);
  const m = /^Bearer (.+)$/i.exec(v.trim());
  if (!m) throw new Unauthenticated('authorization is not of the form "Bearer <token>"');
  if (!timingSafeEqual(digest(m[1]!), digest(token))) throw new Unauthenticated('invalid bearer token');
}

/** Metadata with the bearer token (merged into `into` when given). */
export function bearerMetadata(token: string, into: Metadata = new Metadata()): Metadata {
  into.set(AUTH_HEADER, `Bearer ${token}`);
  return into;
}

/** A client interceptor adding the bearer token to every call. */
export function bearerInterceptor(token: string): Interceptor {
  return (options, nextCall) => new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      bearerMetadata(token, metadata);
      next(metadata, listener);
    },
  });
}
