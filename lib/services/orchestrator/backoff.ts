/**
 * The orchestrator's retry policy: exponential backoff with jitter for calls to the student
 * (StartRun, StopRun) and for the recovery loop that polls a lost student. Delay before retry
 * k (0-based): d = min(maxMs, baseMs·2^k), slept as d/2 + random·d/2 (the same shape as
 * lib/services/grpc withRetry, which the one-shot calls use).
 */
export interface BackoffPolicy {
  /** First delay (ms). */
  readonly baseMs: number;
  /** Delay cap (ms). */
  readonly maxMs: number;
  /** Retries of a call to the student (StartRun, StopRun) on a transient failure. */
  readonly retries: number;
}

/** The delay before retry `attempt` (0-based), jittered. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return d / 2 + random() * (d / 2);
}

/** Sleeps `ms`; resolves false early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
