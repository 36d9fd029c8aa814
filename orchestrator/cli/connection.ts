/**
 * The connection to the orchestrator (loaded on demand: it brings in gRPC). Failed calls
 * become CliErrors with the exit code (errors.ts).
 */
import { connectivityState, status } from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { makeClient, unary } from '../../lib/services/grpc/index.js';
import type { CallOpts, ClientOf, RequestOf, ResponseOf, UnaryMethod } from '../../lib/services/grpc/index.js';
import type { Progress__Output } from '../../proto/gen/sfda/v1/Progress.js';
import type { Target } from './context.js';
import { CliError, rpcError } from './errors.js';

export type Orchestrator = ClientOf<'Orchestrator'>;

/** A connection to the orchestrator whose failed calls become CliErrors (errors.ts). */
export class Connection {
  readonly client: Orchestrator;
  private wasReady = false;

  constructor(readonly target: Target, private readonly deadlineMs: number) {
    this.client = makeClient('Orchestrator', target.address, {
      ...(target.token ? { token: target.token } : {}),
      ...(target.tls ? { tls: target.tls } : {}),
      deadlineMs,
      // grpc-js waits up to 2 minutes between reconnect attempts by default; a watch that
      // follows an orchestrator through a restart should see it back within seconds.
      channelOptions: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2000 },
    });
  }

  /** True once the channel has been connected (a later UNAVAILABLE came from the orchestrator or a restart). */
  connected(): boolean {
    if (this.client.getChannel().getConnectivityState(false) === connectivityState.READY) this.wasReady = true;
    return this.wasReady;
  }

  /** A unary call; a failure throws a CliError with the exit code. */
  async call<M extends UnaryMethod<Orchestrator>>(method: M, request: RequestOf<Orchestrator, M>, opts: CallOpts = {}): Promise<ResponseOf<Orchestrator, M>> {
    try {
      const reply = await unary(this.client, method, request, opts);
      this.wasReady = true;
      return reply;
    } catch (e) {
      throw this.error(e);
    }
  }

  /** The CliError of a failed call or stream. */
  error(e: unknown): CliError {
    if (e instanceof CliError) return e;
    const code = (e as { code?: number }).code;
    // The server answered with UNAVAILABLE when the channel is up; otherwise it was never reached.
    const connected = code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED
      ? this.client.getChannel().getConnectivityState(false) === connectivityState.READY
      : this.connected();
    return rpcError(e, this.target.address, connected);
  }

  watch(runId: string): ClientReadableStream<Progress__Output> {
    return this.client.WatchRun({ run_id: runId });
  }

  close(): void {
    this.client.close();
  }
}
