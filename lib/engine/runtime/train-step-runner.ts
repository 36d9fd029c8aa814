/**
 * TrainStepRunner: the one object a trainer or service uses to run compiled graphs.
 *
 * It holds, in a worker thread (by default), the onnxruntime sessions (one per program key,
 * created lazily) and the state store (parameters, optimiser state, buffers by name). The main
 * thread sends only the data feeds and the learning rate, and gets back the loss, the finite
 * flag and the requested outputs; state never travels unless asked for (getState/setState).
 *
 * Non-finite steps: the compiled graph leaves state unchanged and the runner commits nothing;
 * with nonFinite 'stop' (default) the step throws NonFiniteStepError naming the step, with
 * 'skip' it returns {skipped: true} and counts it in `skippedSteps`.
 */
import type { CompiledGraph } from '../compile/signature.js';
import type { TensorData } from '../ir/tensor.js';
import { InThreadBackend, type Backend } from './backend.js';
import { NonFiniteStepError } from './errors.js';
import { IoCounter, type IoStats, type RunIoBytes } from './io-bytes.js';
import type { TensorSpec } from './tensor-spec.js';
import { toProgram } from './program.js';
import type { ExecutionProvider, ProviderFallback } from './providers.js';
import { WorkerBackend } from './worker-backend.js';

export type NonFinitePolicy = 'stop' | 'skip';

export interface RunnerOptions {
  /** Requested execution provider. Default 'cpu'. */
  readonly provider?: ExecutionProvider;
  /** When the provider cannot start: 'error' (default) or an explicit, logged fallback to 'cpu'. */
  readonly fallback?: ProviderFallback;
  /** onnxruntime intraOpNumThreads; 0 (default) lets onnxruntime choose. */
  readonly threads?: number;
  /** What a non-finite training step does. Default 'stop'. */
  readonly nonFinite?: NonFinitePolicy;
  /** Run in the calling thread instead of a worker (blocks the event loop during runs). Default false. */
  readonly inThread?: boolean;
  /** Receives runtime notices (provider fallback). Default console.warn. */
  readonly log?: (msg: string) => void;
}

export interface StepOptions {
  /** The base learning rate of this step (a schedule's value); group multipliers apply in the graph. */
  readonly lr: number;
  /** The step's number for messages and results (default: the runner's count of trainStep calls). */
  readonly step?: number;
  /** Move the feeds' ArrayBuffers to the worker instead of copying them (the caller's arrays become unusable). Default true. */
  readonly transfer?: boolean;
}

export interface StepResult {
  readonly step: number;
  readonly loss: number;
  /** Whether the loss, gradients and buffer updates were finite (and the state was updated). */
  readonly finite: boolean;
  /** True when a non-finite step was skipped (policy 'skip'). */
  readonly skipped: boolean;
  /** Global gradient norm before clipping (graphs compiled with norm clipping). */
  readonly gradNorm?: number;
  /** The graph's extra outputs (and 'grad/<p>' when compiled with outputGrads). */
  readonly outputs: Record<string, TensorData>;
  /** Bytes this step handed to onnxruntime and fetched back (host ⇄ device with a GPU provider). */
  readonly io: RunIoBytes;
}

type StateInput = ReadonlyMap<string, TensorData> | Readonly<Record<string, TensorData>>;

export class TrainStepRunner {
  private steps = 0;
  private skipped = 0;
  private readonly kinds = new Map<string, 'train' | 'eval'>();
  private readonly io = new IoCounter();

  private constructor(
    private readonly backend: Backend,
    /** The execution provider actually in use. */
    readonly provider: ExecutionProvider,
    /** Why the requested provider was not used (set only after an allowed fallback). */
    readonly fallbackReason: string | undefined,
    private readonly nonFinite: NonFinitePolicy,
  ) {}

  /** Starts the worker (or the in-thread executor) and probes the provider. */
  static async start(opts: RunnerOptions = {}): Promise<TrainStepRunner> {
    const nonFinite = opts.nonFinite ?? 'stop';
    if (nonFinite !== 'stop' && nonFinite !== 'skip') throw new Error(`nonFinite must be 'stop' or 'skip' (got ${JSON.stringify(nonFinite)})`);
    const backend: Backend = opts.inThread ? new InThreadBackend() : new WorkerBackend();
    const log = opts.log ?? ((m: string) => console.warn(m));
    try {
      const choice = await backend.init({ provider: opts.provider ?? 'cpu', fallback: opts.fallback ?? 'error', threads: opts.threads ?? 0 }, log);
      return new TrainStepRunner(backend, choice.provider, choice.fallbackReason, nonFinite);
    } catch (e) {
      await backend.close().catch(() => undefined);
      throw e;
    }
  }

  /** Number of trainStep calls so far. */
  get stepsRun(): number {
    return this.steps;
  }

  /** Number of non-finite steps skipped (policy 'skip'). */
  get skippedSteps(): number {
    return this.skipped;
  }

  /**
   * Registers a compiled graph under `key` (one session per key: include the input shape in it
   * when a model is compiled for several shapes). With `initState`, the graph's initialState is
   * also loaded for every state tensor the store does not hold yet.
   */
  async addProgram(key: string, compiled: CompiledGraph, opts: { initState?: boolean } = {}): Promise<void> {
    await this.backend.addProgram(toProgram(key, compiled));
    this.kinds.set(key, compiled.signature.kind);
    if (opts.initState) {
      const held = new Set((await this.backend.stateInfo()).keys());
      const missing = [...compiled.initialState].filter(([k]) => !held.has(k));
      if (missing.length > 0) await this.backend.setState(missing, false);
    }
  }

  /** Sets state tensors by name (copied; existing ones are replaced, others kept). */
  async setState(tensors: StateInput): Promise<void> {
    const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
    await this.backend.setState(entries as [string, TensorData][], false);
  }

  /** Copies of state tensors (all when `names` is omitted), e.g. for a checkpoint or an EMA sync. */
  getState(names?: readonly string[]): Promise<Map<string, TensorData>> {
    return this.backend.getState(names ? [...names] : undefined);
  }

  /** Runs one training step of a 'train' program and applies the non-finite policy. */
  async trainStep(key: string, feeds: Readonly<Record<string, TensorData>>, opts: StepOptions): Promise<StepResult> {
    if (this.kinds.get(key) === 'eval') throw new Error(`program '${key}' is an eval graph: use run()`);
    const step = opts.step ?? this.steps;
    this.steps++;
    const r = await this.backend.run(key, { ...feeds }, opts.lr, opts.transfer ?? true);
    this.io.add(r.io);
    const loss = r.loss ?? NaN;
    if (!r.finite) {
      if (this.nonFinite === 'stop') throw new NonFiniteStepError(step, loss, key);
      this.skipped++;
    }
    return { step, loss, finite: r.finite, skipped: !r.finite, outputs: r.outputs, io: r.io, ...(r.gradNorm !== undefined ? { gradNorm: r.gradNorm } : {}) };
  }

  /** Runs an 'eval' program; returns its outputs by name. */
  async run(key: string, feeds: Readonly<Record<string, TensorData>>, opts: { transfer?: boolean } = {}): Promise<Record<string, TensorData>> {
    if (this.kinds.get(key) === 'train') throw new Error(`program '${key}' is a training step: use trainStep()`);
    const r = await this.backend.run(key, { ...feeds }, undefined, opts.transfer ?? true);
    this.io.add(r.io);
    return r.outputs;
  }

  /**
   * Bytes handed to onnxruntime (feeds: data, learning rate, every state tensor) and fetched
   * from it (outputs, next state), over every trainStep and run since the start or the last
   * resetIoStats — with a GPU provider, what crossed host ⇄ device (io-bytes.ts).
   */
  ioStats(): IoStats {
    return this.io.stats();
  }

  resetIoStats(): void {
    this.io.reset();
  }

  /** Releases every session and stops the worker. */
  close(): Promise<void> {
    return this.backend.close();
  }

  /** dtype and shape of every state tensor the runner holds (e.g. to verify a checkpoint). */
  stateInfo(): Promise<Map<string, TensorSpec>> {
    return this.backend.stateInfo();
  }
}
