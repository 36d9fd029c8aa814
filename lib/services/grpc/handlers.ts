/**
 * Handler wrappers: a service is written as async functions (`async (req, ctx) => reply`), and
 * these wrappers adapt them to grpc-js handlers. Each wrapper checks the bearer token when the
 * method needs one (UNAUTHENTICATED otherwise), maps thrown errors to status codes (errors.ts:
 * InvalidArgument → INVALID_ARGUMENT, NotFound → NOT_FOUND, ... anything else → INTERNAL with
 * its message), hands the function an AbortSignal that fires when the client cancels, the
 * deadline passes or (server streams) the server shuts down, and registers open server streams
 * in a StreamRegistry so a graceful shutdown can end them (grpc-js tryShutdown waits forever on
 * an open server stream).
 */
import { once } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import type {
  handleBidiStreamingCall, handleClientStreamingCall, handleServerStreamingCall, handleUnaryCall,
  ServerReadableStream, ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedHandleCall,
} from '@grpc/grpc-js';
import { checkBearer } from './auth.js';
import { codeOf, toStatus } from './errors.js';

/** Trailer set on server streams ended by a shutdown (the client can tell it from a normal end). */
export const SHUTDOWN_TRAILER = 'sfda-shutdown';

/** What every wrapped handler gets besides the request. */
export interface CallContext {
  /** Full method name, e.g. 'sfda.v1.Teacher/Predict'. */
  readonly method: string;
  readonly metadata: Metadata;
  /** Aborted when the client cancels or the deadline passes (and, for streams, on shutdown). */
  readonly signal: AbortSignal;
  readonly peer: string;
}

/** Context of a server-streaming handler: `send` writes one message, waiting for 'drain'. */
export interface ServerStreamContext<Res> extends CallContext {
  /** Resolves true once written (buffered), false when the stream is closed (stop sending). */
  send(message: Res): Promise<boolean>;
}

export type UnaryImpl<Req, Res> = (request: Req, ctx: CallContext, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res;
export type ServerStreamImpl<Req, Res> = (request: Req, ctx: ServerStreamContext<Res>, call: ServerWritableStream<Req, Res>) => Promise<void> | void;
export type ClientStreamImpl<Req, Res> = (messages: AsyncIterable<Req>, ctx: CallContext, call: ServerReadableStream<Req, Res>) => Promise<Res> | Res;

/** The async implementation type of one generated grpc-js handler type (bidi stays raw). */
export type ImplOf<H> =
  H extends handleUnaryCall<infer Req, infer Res> ? UnaryImpl<Req, Res>
    : H extends handleServerStreamingCall<infer Req, infer Res> ? ServerStreamImpl<Req, Res>
      : H extends handleClientStreamingCall<infer Req, infer Res> ? ClientStreamImpl<Req, Res>
        : H extends handleBidiStreamingCall<infer Req, infer Res> ? handleBidiStreamingCall<Req, Res>
          : never;

type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/** The async implementation of a whole service, from its generated Handlers interface. */
export type ServiceImpl<Handlers> = { [K in KnownKeys<Handlers>]: ImplOf<Handlers[K]> };

/** Open server streams; endAll() ends them (server shutdown) and ends any opened later. */
export class StreamRegistry {
  private readonly open = new Set<() => void>();
  private closing = false;

  get size(): number {
    return this.open.size;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Registers a stream's end function; returns the function that unregisters it. */
  add(end: () => void): () => void {
    if (this.closing) {
      end();
      return () => {};
    }
    this.open.add(end);
    return () => void this.open.delete(end);
  }

  /** Ends every open stream; returns how many. */
  endAll(): number {
    this.closing = true;
    const ends = [...this.open];
    this.open.clear();
    for (const end of ends) end();
    return ends.length;
  }
}

export interface WrapOptions {
  /** Full method name for contexts and messages, e.g. 'sfda.v1.Teacher/Predict'. */
  method: string;
  /** When set, the call needs `authorization: Bearer <token>`. */
  token?: string;
  /** Registry of open server streams (server streams only). */
  streams?: StreamRegistry;
  /** Called with errors that become INTERNAL (unexpected failures: log them). */
  onInternalError?: (method: string, err: unknown) => void;
}

/** What the three call kinds share (the union of their `on` overloads is not callable). */
interface AnyCall {
  on(event: 'cancelled', listener: () => void): unknown;
  readonly cancelled: boolean;
  readonly metadata: Metadata;
  getPeer(): string;
}

function context(call: AnyCall, method: string): { ctx: CallContext; abort: (reason?: unknown) => void } {
  const ac = new AbortController();
  call.on('cancelled', () => ac.abort(new Error('cancelled')));
  if (call.cancelled) ac.abort(new Error('cancelled'));
  const ctx: CallContext = { method, metadata: call.metadata, signal: ac.signal, peer: call.getPeer() };
  return { ctx, abort: (reason) => ac.abort(reason) };
}

function report(err: unknown, opts: WrapOptions): ReturnType<typeof toStatus> {
  if (codeOf(err) === status.INTERNAL) opts.onInternalError?.(opts.method, err);
  return toStatus(err);
}

export function wrapUnary<Req, Res>(fn: UnaryImpl<Req, Res>, opts: WrapOptions): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const { ctx, abort } = context(call as unknown as AnyCall, opts.method);
    void (async () => {
      if (opts.token !== undefined) checkBearer(call.metadata, opts.token);
      return fn(call.request, ctx, call);
    })().then(
      (reply) => callback(null, reply),
      (err: unknown) => callback(report(err, opts)),
    ).finally(() => abort());
  };
}

export function wrapClientStream<Req, Res>(fn: ClientStreamImpl<Req, Res>, opts: WrapOptions): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    const { ctx, abort } = context(call as unknown as AnyCall, opts.method);
    void (async () => {
      if (opts.token !== undefined) checkBearer(call.metadata, opts.token);
      return fn(call as AsyncIterable<Req>, ctx, call);
    })().then(
      (reply) => callback(null, reply),
      (err: unknown) => callback(report(err, opts)),
    ).finally(() => abort());
  };
}

export function wrapServerStream<Req, Res>(fn: ServerStreamImpl<Req, Res>, opts: WrapOptions): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const { ctx: base, abort } = context(call as unknown as AnyCall, opts.method);
    let closed = false;
    const close = (how: () => void): void => {
      if (closed) return;
      closed = true;
      how();
    };
    call.on('cancelled', () => { closed = true; });
    const send = async (message: Res): Promise<boolean> => {
      if (closed || call.cancelled || base.signal.aborted) return false;
      if (!call.write(message)) {
        // Wait for the buffer to drain, or for the call to close.
        const ac = new AbortController();
        const onAbort = (): void => ac.abort();
        base.signal.addEventListener('abort', onAbort, { once: true });
        try {
          await once(call, 'drain', { signal: ac.signal });
        } catch {
          return false;
        } finally {
          base.signal.removeEventListener('abort', onAbort);
        }
      }
      return !closed;
    };
    const unregister = opts.streams?.add(() => close(() => {
      abort(new Error('server shutting down'));
      const trailer = new Metadata();
      trailer.set(SHUTDOWN_TRAILER, '1');
      call.end(trailer);
    })) ?? (() => {});
    void (async () => {
      if (opts.token !== undefined) checkBearer(call.metadata, opts.token);
      await fn(call.request, { ...base, send }, call);
    })().then(
      () => close(() => call.end()),
      (err: unknown) => close(() => call.emit('error', report(err, opts))),
    ).finally(() => {
      unregister();
      abort();
    });
  };
}

/**
 * grpc-js handlers for a service implementation, each wrapped by the kind of its method
 * (from the service definition). `token` protects every method except those in `publicMethods`.
 * Bidi-streaming methods (none in sfda.v1) are passed through unwrapped: no token check, no
 * error mapping. Methods missing from `impl` are left to grpc-js, which answers UNIMPLEMENTED.
 */
export function wrapService(
  definition: ServiceDefinition,
  impl: Record<string, unknown>,
  opts: { service: string; token?: string; publicMethods?: readonly string[]; streams?: StreamRegistry; onInternalError?: (method: string, err: unknown) => void },
): Record<string, UntypedHandleCall> {
  const out: Record<string, UntypedHandleCall> = {};
  for (const [name, def] of Object.entries(definition)) {
    const fn = impl[name];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new Error(`${opts.service}/${name}: implementation is not a function`);
    const w: WrapOptions = {
      method: `${opts.service}/${name}`,
      ...(opts.token !== undefined && !opts.publicMethods?.includes(name) ? { token: opts.token } : {}),
      ...(opts.streams ? { streams: opts.streams } : {}),
      ...(opts.onInternalError ? { onInternalError: opts.onInternalError } : {}),
    };
    type F = (...a: unknown[]) => unknown;
    if (!def.requestStream && !def.responseStream) out[name] = wrapUnary(fn as F as UnaryImpl<unknown, unknown>, w);
    else if (!def.requestStream && def.responseStream) out[name] = wrapServerStream(fn as F as ServerStreamImpl<unknown, unknown>, w);
    else if (def.requestStream && !def.responseStream) out[name] = wrapClientStream(fn as F as ClientStreamImpl<unknown, unknown>, w);
    else out[name] = fn as UntypedHandleCall;
  }
  return out;
}
