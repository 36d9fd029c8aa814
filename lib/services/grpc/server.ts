/**
 * A gRPC server for the sfda.v1 services with the project's defaults:
 * - explicit message limits (receive and send, default 64 MiB each; above the receive limit a
 *   call fails with RESOURCE_EXHAUSTED);
 * - grpc.health.v1 with a status per service ('' = the whole server), NOT_SERVING until
 *   setServing(true) (a service turns SERVING when it is ready, e.g. the teacher after LoadRun);
 * - server reflection (v1 and v1alpha) for the added sfda.v1 services (grpcurl, debugging);
 * - optional TLS / mutual TLS on bind;
 * - services added as async implementations (handlers.ts): error → status mapping, bearer token
 *   per method, AbortSignal, registry of open server streams;
 * - an onCall(method, code, seconds) hook on every call (call-hook.ts);
 * - graceful shutdown: NOT_SERVING, end open server streams (also health Watch streams), wait for
 *   running calls with tryShutdown up to a deadline, then forceShutdown (grpc-js tryShutdown
 *   never completes while a server stream is open).
 */
import { Server } from '@grpc/grpc-js';
import type { ChannelOptions, ServerOptions, ServiceDefinition, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { ServingStatus } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { callHookInterceptor } from './call-hook.js';
import type { CallHook } from './call-hook.js';
import { serverCredentials } from './credentials.js';
import type { ServerTlsFiles } from './credentials.js';
import { StreamRegistry, wrapService } from './handlers.js';
import type { ServiceImpl } from './handlers.js';
import { packageDefinition, serviceDefinition, SERVICES } from './proto.js';
import type { HandlersOf, ServiceName } from './proto.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ServerConfig {
  /** grpc.max_receive_message_length (default 64 MiB). */
  maxReceiveBytes?: number;
  /** grpc.max_send_message_length (default 64 MiB). */
  maxSendBytes?: number;
  /** Serve reflection for the added sfda.v1 services (default true). */
  reflection?: boolean;
  /** Bearer token that add() requires by default (per-service override in add()). */
  token?: string;
  /** Called for every finished call (metrics). */
  onCall?: CallHook;
  /** Called with errors that a handler turned into INTERNAL (log them). */
  onInternalError?: (method: string, err: unknown) => void;
  /** More grpc-js server options (keepalive, ...). */
  channelOptions?: ChannelOptions;
}

export interface AddOptions<M extends string> {
  /** Bearer token for this service's methods (overrides ServerConfig.token; null = none). */
  token?: string | null;
  /** Methods callable without the token. */
  publicMethods?: readonly M[];
}

export interface ShutdownResult {
  /** True when tryShutdown did not finish within the deadline and forceShutdown ran. */
  forced: boolean;
  /** Server streams ended by the shutdown. */
  endedStreams: number;
  seconds: number;
}

/** The server; make it with createServer(). */
export class GrpcServer {
  readonly server: Server;
  readonly health: HealthImplementation;
  readonly streams = new StreamRegistry();
  private readonly services: string[] = [];
  private readonly statuses = new Map<string, ServingStatus>();
  private reflectionAdded = false;
  private shutdownPromise: Promise<ShutdownResult> | undefined;

  constructor(private readonly config: ServerConfig = {}) {
    const options: ServerOptions = {
      ...config.channelOptions,
      'grpc.max_receive_message_length': config.maxReceiveBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': config.maxSendBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      ...(config.onCall ? { interceptors: [callHookInterceptor(config.onCall)] } : {}),
    };
    this.server = new Server(options);
    this.statuses.set('', 'NOT_SERVING');
    this.health = new HealthImplementation({ '': 'NOT_SERVING' });
    // Health Watch is a server stream: track it so shutdown can end it.
    this.health.addToServer({
      addService: (def, impl) => this.server.addService(def as unknown as ServiceDefinition, this.trackStreams(def as unknown as ServiceDefinition, impl as UntypedServiceImplementation)),
    });
  }

  /** Adds an sfda.v1 service (NOT_SERVING until setServing). */
  add<S extends ServiceName>(service: S, impl: ServiceImpl<HandlersOf<S>>, opts: AddOptions<Extract<keyof ServiceImpl<HandlersOf<S>>, string>> = {}): void {
    const token = opts.token === null ? undefined : opts.token ?? this.config.token;
    const name = SERVICES[service];
    const handlers = wrapService(serviceDefinition(service), impl as Record<string, unknown>, {
      service: name,
      ...(token !== undefined ? { token } : {}),
      ...(opts.publicMethods ? { publicMethods: opts.publicMethods } : {}),
      streams: this.streams,
      ...(this.config.onInternalError ? { onInternalError: this.config.onInternalError } : {}),
    });
    this.addRaw(name, serviceDefinition(service), handlers);
  }

  /** Adds any service with raw grpc-js handlers (not wrapped; health-tracked under fullName). */
  addRaw(fullName: string, definition: ServiceDefinition, handlers: UntypedServiceImplementation): void {
    if (this.reflectionAdded) throw new Error(`${fullName}: add services before bind()`);
    this.server.addService(definition, handlers);
    this.services.push(fullName);
    this.setStatus(fullName, 'NOT_SERVING');
  }

  /** Health of one service, or of the server ('') and every added service when none is named. */
  setServing(serving: boolean, service?: string): void {
    if (this.shutdownPromise) return;
    const st: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    if (service !== undefined) this.setStatus(service, st);
    else for (const s of ['', ...this.services]) this.setStatus(s, st);
  }

  /** The current health status of a service ('' = the server). */
  servingStatus(service = ''): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  private setStatus(service: string, st: ServingStatus): void {
    this.statuses.set(service, st);
    this.health.setStatus(service, st);
  }

  /** Binds host:port (port 0 = any free port) and resolves with the bound port. */
  async bind(address: string, tls?: ServerTlsFiles): Promise<number> {
    if (this.shutdownPromise) throw new Error('server is shut down');
    this.addReflection();
    const creds = serverCredentials(tls);
    return new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, creds, (err, port) => (err ? reject(new Error(`bind ${address}: ${err.message}`)) : resolve(port)));
    });
  }

  private addReflection(): void {
    if (this.reflectionAdded) return;
    this.reflectionAdded = true;
    const sfda = this.services.filter((s) => (Object.values(SERVICES) as string[]).includes(s));
    if ((this.config.reflection ?? true) && sfda.length > 0) {
      new ReflectionService(packageDefinition(), { services: sfda }).addToServer(this.server);
    }
  }

  /**
   * NOT_SERVING, end open server streams, tryShutdown (running unary calls finish) until
   * `deadlineMs`, then forceShutdown (remaining calls end CANCELLED). Idempotent.
   */
  shutdown(deadlineMs = 5000): Promise<ShutdownResult> {
    this.shutdownPromise ??= (async () => {
      const t0 = performance.now();
      for (const s of ['', ...this.services]) this.setStatus(s, 'NOT_SERVING');
      const endedStreams = this.streams.endAll();
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        new Promise<boolean>((resolve) => this.server.tryShutdown((err) => resolve(!err))),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), deadlineMs); }),
      ]);
      clearTimeout(timer);
      if (!graceful) this.server.forceShutdown();
      return { forced: !graceful, endedStreams, seconds: (performance.now() - t0) / 1000 };
    })();
    return this.shutdownPromise;
  }

  /** Wraps the server-streaming handlers of a raw service so shutdown ends their calls. */
  private trackStreams(def: ServiceDefinition, impl: UntypedServiceImplementation): UntypedServiceImplementation {
    const out: UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(impl)) {
      // Implementations may use the camelCase name ('watch' for Watch), as grpc-js allows.
      const m = def[name] ?? Object.values(def).find((d) => d.originalName === name);
      if (!m || m.requestStream || !m.responseStream) {
        out[name] = handler;
        continue;
      }
      const streaming = handler as (call: { end(): void; once(e: string, f: () => void): unknown }) => void;
      out[name] = ((call: { end(): void; once(e: string, f: () => void): unknown }) => {
        const unregister = this.streams.add(() => call.end());
        call.once('cancelled', unregister);
        call.once('finish', unregister);
        streaming(call);
      }) as UntypedHandleCall;
    }
    return out;
  }
}

export function createServer(config: ServerConfig = {}): GrpcServer {
  return new GrpcServer(config);
}
