/**
 * Clients of the sfda.v1 services: typed clients with the same message limits as the server,
 * optional TLS / mutual TLS and bearer token, a default deadline on every unary and
 * client-streaming call (server streams such as Watch run without one unless given), a
 * promisified typed unary call, exponential-backoff retries on transient codes, and
 * waitForServing (polls grpc.health.v1 Check until the service is SERVING).
 */
import { InterceptingCall, makeClientConstructor, Metadata, status } from '@grpc/grpc-js';
import type { CallOptions, ChannelOptions, Client, ClientOptions, ClientReadableStream, ClientUnaryCall, Interceptor, requestCallback, ServiceDefinition } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { bearerInterceptor } from './auth.js';
import { clientCallHookInterceptor } from './call-hook.js';
import type { CallHook } from './call-hook.js';
import { channelCredentials, tlsChannelOptions } from './credentials.js';
import type { ClientTlsFiles } from './credentials.js';
import { isServiceError, statusName, Unavailable } from './errors.js';
import { clientConstructor } from './proto.js';
import type { ClientOf, ServiceName } from './proto.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './server.js';

export const DEFAULT_DEADLINE_MS = 30_000;

export interface ClientConfig {
  /** grpc.max_receive_message_length (default 64 MiB, as the server). */
  maxReceiveBytes?: number;
  /** grpc.max_send_message_length (default 64 MiB). */
  maxSendBytes?: number;
  tls?: ClientTlsFiles;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Deadline of unary / client-streaming calls without one (default 30 s; 0 = none). */
  deadlineMs?: number;
  channelOptions?: ChannelOptions;
  /** Called when each call ends, with the status the client saw (client-side metrics). */
  onCall?: CallHook;
  /** Extra client interceptors (run after the token and deadline interceptors). */
  interceptors?: Interceptor[];
}

/** Sets `deadline` on calls that have none, except server- and bidi-streaming calls. */
export function deadlineInterceptor(ms: number): Interceptor {
  return (options, nextCall) => {
    if (options.deadline === undefined && !options.method_definition.responseStream) {
      return new InterceptingCall(nextCall({ ...options, deadline: Date.now() + ms }));
    }
    return new InterceptingCall(nextCall(options));
  };
}

/** grpc-js client options for a config (limits, TLS name override, interceptors). */
export function clientOptions(cfg: ClientConfig = {}): ClientOptions {
  const deadlineMs = cfg.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const interceptors: Interceptor[] = [
    ...(cfg.token !== undefined ? [bearerInterceptor(cfg.token)] : []),
    ...(deadlineMs > 0 ? [deadlineInterceptor(deadlineMs)] : []),
    ...(cfg.onCall ? [clientCallHookInterceptor(cfg.onCall)] : []),
    ...(cfg.interceptors ?? []),
  ];
  return {
    ...cfg.channelOptions,
    ...tlsChannelOptions(cfg.tls),
    'grpc.max_receive_message_length': cfg.maxReceiveBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': cfg.maxSendBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    interceptors,
  };
}

/** A typed client of an sfda.v1 service at host:port. Close it with client.close(). */
export function makeClient<S extends ServiceName>(service: S, address: string, cfg: ClientConfig = {}): ClientOf<S> {
  const Ctor = clientConstructor(service);
  return new Ctor(address, channelCredentials(cfg.tls), clientOptions(cfg));
}

// ---- typed unary calls ----

/**
 * Request and response types of a unary method, read off the last overload of the generated
 * client method, `(argument, callback) => ClientUnaryCall` (streaming methods have no callback
 * there and give never).
 */
type UnarySig<F> = F extends (argument: infer Req, callback: infer CB) => unknown
  ? CB extends requestCallback<infer Res> ? { req: Req; res: Res } : never
  : never;

/** Names of the unary methods of a generated client interface (both spellings). */
export type UnaryMethod<C> = { [K in keyof C]: [UnarySig<C[K]>] extends [never] ? never : K }[keyof C] & string;
export type RequestOf<C, M extends keyof C> = UnarySig<C[M]>['req'];
export type ResponseOf<C, M extends keyof C> = UnarySig<C[M]>['res'];

export interface CallOpts {
  /** Overrides the client's default deadline. */
  deadlineMs?: number;
  metadata?: Metadata;
  /** Cancels the call (it rejects with CANCELLED). */
  signal?: AbortSignal;
  /** Wait for the channel to connect instead of failing fast with UNAVAILABLE. */
  waitForReady?: boolean;
}

/** A unary call as a promise: `await unary(teacher, 'GetState', { run_id })`. */
export function unary<C extends Client, M extends UnaryMethod<C>>(client: C, method: M, request: RequestOf<C, M>, opts: CallOpts = {}): Promise<ResponseOf<C, M>> {
  return new Promise<ResponseOf<C, M>>((resolve, reject) => {
    const fn = (client as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') {
      reject(new Error(`${method} is not a method of the client`));
      return;
    }
    const options: CallOptions = {};
    if (opts.deadlineMs !== undefined) options.deadline = Date.now() + opts.deadlineMs;
    const metadata = opts.metadata ?? new Metadata();
    // grpc-js reads wait-for-ready from the metadata options, not from CallOptions.
    if (opts.waitForReady) metadata.setOptions({ ...metadata.getOptions(), waitForReady: true });
    const call = (fn as (r: unknown, m: Metadata, o: CallOptions, cb: requestCallback<unknown>) => ClientUnaryCall).call(
      client, request, metadata, options,
      (err, reply) => (err ? reject(err) : resolve(reply as ResponseOf<C, M>)),
    );
    if (opts.signal) {
      if (opts.signal.aborted) call.cancel();
      else opts.signal.addEventListener('abort', () => call.cancel(), { once: true });
    }
  });
}

/** All messages of a server stream (rejects with the stream's error). */
export function collect<T>(stream: ClientReadableStream<T>): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (m: T) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

// ---- retries ----

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff (default 100 ms); doubles each retry. */
  baseMs?: number;
  /** Backoff cap (default 5000 ms). */
  maxMs?: number;
  /** gRPC codes worth retrying (default UNAVAILABLE, DEADLINE_EXCEEDED; only for idempotent calls). */
  retryOn?: readonly status[];
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

export const DEFAULT_RETRY_ON: readonly status[] = [status.UNAVAILABLE, status.DEADLINE_EXCEEDED];

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs fn until it succeeds, fails with a code not in retryOn, or the retries are spent.
 * Backoff before retry k (1-based): d = min(maxMs, baseMs·2^(k-1)), slept as d/2 + random·d/2.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 3;
  const baseMs = opts.baseMs ?? 100;
  const maxMs = opts.maxMs ?? 5000;
  const retryOn = opts.retryOn ?? DEFAULT_RETRY_ON;
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !isServiceError(err) || !retryOn.includes(err.code) || opts.signal?.aborted) throw err;
      const d = Math.min(maxMs, baseMs * 2 ** attempt);
      const delay = d / 2 + random() * (d / 2);
      opts.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, opts.signal);
    }
  }
}

// ---- health ----

interface HealthClient extends Client {
  Check(req: { service: string }, md: Metadata, opts: CallOptions, cb: requestCallback<{ status: string }>): ClientUnaryCall;
}
let HealthCtor: (new (address: string, creds: ReturnType<typeof channelCredentials>, options?: ClientOptions) => HealthClient) | undefined;

/** One grpc.health.v1 Check: the status name ('SERVING', 'NOT_SERVING', ...). */
export function healthCheck(address: string, service: string, cfg: ClientConfig = {}, deadlineMs = 2000): Promise<string> {
  HealthCtor ??= makeClientConstructor(healthService as unknown as ServiceDefinition, 'grpc.health.v1.Health') as unknown as typeof HealthCtor;
  // A local subchannel pool: the check connects now instead of inheriting the reconnect
  // backoff of a shared subchannel that failed before (the server was not up yet).
  const options = clientOptions({ ...cfg, deadlineMs: 0, channelOptions: { ...cfg.channelOptions, 'grpc.use_local_subchannel_pool': 1 } });
  const client = new HealthCtor!(address, channelCredentials(cfg.tls), options);
  return new Promise<string>((resolve, reject) => {
    // Fail fast (no wait-for-ready): waitForServing polls, and a fresh channel per check does
    // not sit in grpc-js's reconnect backoff (1 s and more) once the server is up.
    client.Check({ service }, new Metadata(), { deadline: Date.now() + deadlineMs }, (err, reply) => {
      client.close();
      if (err) reject(err);
      else resolve(reply!.status);
    });
  });
}

/**
 * Resolves once `service` ('' = the whole server) at `address` reports SERVING; throws
 * Unavailable naming the last answer after `timeoutMs`.
 */
export async function waitForServing(address: string, service: string, timeoutMs: number, cfg: ClientConfig = {}): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = 'no answer';
  let pause = 20;
  for (;;) {
    const remaining = end - Date.now();
    if (remaining <= 0) break;
    try {
      const st = await healthCheck(address, service, cfg, Math.min(remaining, 1000));
      if (st === 'SERVING') return;
      last = st;
    } catch (err) {
      // A check cut short by the end of the wait says nothing new: keep the previous answer.
      if (!(isServiceError(err) && err.code === status.DEADLINE_EXCEEDED && last !== 'no answer')) {
        last = isServiceError(err) ? `${statusName(err.code)}: ${err.details}` : String(err);
      }
    }
    const left = end - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, 250);
  }
  throw new Unavailable(`${service || 'server'} at ${address} not SERVING within ${timeoutMs} ms (last: ${last})`);
}
