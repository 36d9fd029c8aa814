/** How the two sides start their TrainStepRunner (lib/engine/runtime). */
import { TrainStepRunner, type ExecutionProvider, type NonFinitePolicy } from '../../engine/runtime/index.js';

export interface SideRunnerOptions {
  /** Execution provider (default 'cpu'); an unavailable one is an error unless fallback 'cpu'. */
  readonly provider?: ExecutionProvider;
  readonly fallback?: 'error' | 'cpu';
  /** onnxruntime intra-op threads (0: onnxruntime's default). */
  readonly threads?: number;
  /** Run in the calling thread instead of a worker thread (tests). */
  readonly inThread?: boolean;
  readonly nonFinite?: NonFinitePolicy;
  readonly log?: (msg: string) => void;
}

export function startRunner(o: SideRunnerOptions): Promise<TrainStepRunner> {
  return TrainStepRunner.start({
    provider: o.provider ?? 'cpu',
    fallback: o.fallback ?? 'error',
    threads: o.threads ?? 0,
    inThread: o.inThread ?? false,
    nonFinite: o.nonFinite ?? 'stop',
    ...(o.log ? { log: o.log } : {}),
  });
}

/** Program key of a predict graph at an input shape. */
export const predictKey = (shape: readonly number[]): string => `predict@${shape.join('x')}`;
