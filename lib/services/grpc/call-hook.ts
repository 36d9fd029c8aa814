/**
 * A server interceptor that reports every finished call as `onCall(method, code, seconds)`:
 * the full method name without the leading slash ('sfda.v1.Teacher/Predict',
 * 'grpc.health.v1.Health/Check'), the status code sent (or CANCELLED / DEADLINE_EXCEEDED when
 * the call ended without one) and the time from the request headers to the status. A metrics
 * module counts requests by method and code and observes the latency from it. Calls that
 * grpc-js rejects itself (UNIMPLEMENTED, a message over the receive limit) are reported too;
 * a throwing hook is ignored. clientCallHookInterceptor does the same on the client side (the
 * status the client saw, including its own DEADLINE_EXCEEDED / UNAVAILABLE).
 */
import { InterceptingCall, ServerInterceptingCall, status } from '@grpc/grpc-js';
import type { Interceptor, ServerInterceptor } from '@grpc/grpc-js';

type PartialStatusObject = Parameters<Parameters<ServerInterceptor>[1]['sendStatus']>[0];

export type CallHook = (method: string, code: status, seconds: number) => void;

/** A client cancel this close to the call's deadline is reported as DEADLINE_EXCEEDED. */
export const DEADLINE_SLACK_MS = 250;

export function callHookInterceptor(hook: CallHook): ServerInterceptor {
  return (descriptor, call) => {
    const t0 = process.hrtime.bigint();
    const method = descriptor.path.replace(/^\//, '');
    let reported = false;
    const report = (code: status): void => {
      if (reported) return;
      reported = true;
      try {
        hook(method, code, Number(process.hrtime.bigint() - t0) / 1e9);
      } catch {
        // metrics must never break a call
      }
    };
    // grpc-js sends the statuses it makes itself (a message over the size limits, the deadline)
    // from inside the innermost call object with `this.sendStatus(...)`, past the responder
    // chain; patching that instance method sees them too. Interceptors added to the server
    // after this one would hide those statuses from it (the onCancel fallback then reports
    // CANCELLED / DEADLINE_EXCEEDED).
    const inner = call as { sendStatus(st: PartialStatusObject): void };
    const sendStatus = inner.sendStatus.bind(inner);
    inner.sendStatus = (st) => {
      report(st.code);
      sendStatus(st);
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onCancel() {
            const deadline = call.getDeadline();
            const ms = deadline instanceof Date ? deadline.getTime() : deadline;
            // The client's deadline passes a little before the server's (the timeout travels as
            // a relative value and the server starts counting on receipt), so a cancel that
            // arrives within DEADLINE_SLACK_MS of the deadline is the deadline.
            report(Number.isFinite(ms) && Date.now() >= ms - DEADLINE_SLACK_MS ? status.DEADLINE_EXCEEDED : status.CANCELLED);
          },
        });
      },
    });
  };
}

/** A client interceptor reporting each call's final status as the client saw it. */
export function clientCallHookInterceptor(hook: CallHook): Interceptor {
  return (options, nextCall) => {
    const method = options.method_definition.path.replace(/^\//, '');
    const t0 = process.hrtime.bigint();
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(st, nextStatus) {
            try {
              hook(method, st.code, Number(process.hrtime.bigint() - t0) / 1e9);
            } catch {
              // metrics must never break a call
            }
            nextStatus(st);
          },
        });
      },
    });
  };
}
