/**
 * StepExecutor: runs programs on onnxruntime in the current thread. It owns the state store
 * (parameters, optimiser state, buffers, by name), the programs and their session cache.
 * A run feeds the caller's data, the learning rate and every state slot from the store; when
 * the step is finite it replaces each state tensor by its 'next' output (nothing is committed
 * for a non-finite step). The worker thread of TrainStepRunner holds one of these.
 */
import * as ort from 'onnxruntime-node';
import type { GraphSignature } from '../compile/signature.js';
import { numel, sameShape, shapeStr, type TensorData } from '../ir/tensor.js';
import { mapBytes, type RunIoBytes } from './io-bytes.js';
import { fromOrt, toOrt } from './ort-tensor.js';
import type { Program } from './program.js';
import { chooseProvider, sessionOptions, type ExecutionProvider, type ProviderChoice, type ProviderFallback } from './providers.js';
import { SessionCache } from './session-cache.js';
import type { TensorSpec } from './tensor-spec.js';

export interface ExecutorOptions {
  /** Default 'cpu'. */
  readonly provider?: ExecutionProvider;
  /** What to do when the provider cannot start. Default 'error'. */
  readonly fallback?: ProviderFallback;
  /** intraOpNumThreads (0 = onnxruntime's default). */
  readonly threads?: number;
}

/** The raw result of one run. */
export interface RawRun {
  /** The loss (train programs). */
  readonly loss?: number;
  /** Whether the step was finite and its state committed (true for programs without a flag). */
  readonly finite: boolean;
  readonly gradNorm?: number;
  /** signature.outputs, by the caller's names. */
  readonly outputs: Record<string, TensorData>;
  /** Bytes handed to session.run (every feed, state included) and fetched from it (io-bytes.ts). */
  readonly io: RunIoBytes;
}

export class StepExecutor {
  private readonly programs = new Map<string, Program>();
  private readonly state = new Map<string, TensorData>();
  private sessions: SessionCache | undefined;
  private choice: ProviderChoice | undefined;

  /** Chooses the provider (probing it; see providers.ts). Must be called once before running. */
  async init(opts: ExecutorOptions, log: (msg: string) => void): Promise<ProviderChoice> {
    const threads = opts.threads ?? 0;
    if (!Number.isInteger(threads) || threads < 0) throw new Error(`threads must be an integer ≥ 0 (got ${threads})`);
    this.choice = await chooseProvider(opts.provider ?? 'cpu', opts.fallback ?? 'error', log, threads);
    this.sessions = new SessionCache(sessionOptions(this.choice.provider, threads));
    return this.choice;
  }

  /** Adds (or replaces) a program; its session is created on its first run. */
  async addProgram(p: Program): Promise<void> {
    if (this.programs.has(p.key)) await this.cache().drop(p.key);
    this.programs.set(p.key, p);
  }

  /** Sets state tensors (merged into the store; existing names are replaced). */
  setState(tensors: Iterable<readonly [string, TensorData]>): void {
    for (const [k, v] of tensors) this.state.set(k, v);
  }

  /** State tensors by name (all of them when `names` is omitted). The store keeps its own arrays. */
  getState(names?: readonly string[]): Map<string, TensorData> {
    const out = new Map<string, TensorData>();
    for (const n of names ?? [...this.state.keys()]) {
      const t = this.state.get(n);
      if (t === undefined) throw new Error(`no state tensor named '${n}'`);
      out.set(n, t);
    }
    return out;
  }

  /** dtype and shape of every state tensor held. */
  stateInfo(): [string, TensorSpec][] {
    return [...this.state].map(([k, v]) => [k, { dtype: v.dtype, shape: [...v.shape] }]);
  }

  /** Runs a program once. `lr` is required by train programs. */
  async run(key: string, feeds: Readonly<Record<string, TensorData>>, lr?: number): Promise<RawRun> {
    const prog = this.programs.get(key);
    if (prog === undefined) throw new Error(`no program with key '${key}' (known: ${[...this.programs.keys()].join(', ') || 'none'})`);
    const sig = prog.signature;
    const inFeeds = this.feedsFor(key, sig, feeds, lr);
    const fetches = fetchList(sig);
    const session = await this.cache().get(key, () => prog.model);
    const res = await session.run(inFeeds, fetches);
    const io: RunIoBytes = { bytesIn: mapBytes(inFeeds), bytesOut: mapBytes(res) };
    const scalar = (name: string | undefined) => (name === undefined ? undefined : Number((res[name]!.data as ArrayLike<number | bigint>)[0]));
    const finite = sig.finite === undefined ? true : scalar(sig.finite) !== 0;
    if (finite) for (const s of sig.state) if (s.next !== undefined) this.state.set(s.name, fromOrt(res[s.next]!));
    const outputs: Record<string, TensorData> = {};
    for (const [user, graphName] of Object.entries(sig.outputs)) outputs[user] = fromOrt(res[graphName]!);
    const loss = scalar(sig.loss);
    const gradNorm = scalar(sig.gradNorm);
    return { finite, outputs, io, ...(loss !== undefined ? { loss } : {}), ...(gradNorm !== undefined ? { gradNorm } : {}) };
  }

  /** Releases every session; the executor cannot run afterwards. */
  async close(): Promise<void> {
    await this.sessions?.close();
    this.sessions = undefined;
    this.programs.clear();
    this.state.clear();
  }

  get provider(): ExecutionProvider | undefined {
    return this.choice?.provider;
  }

  private cache(): SessionCache {
    if (this.sessions === undefined) throw new Error('the executor is not initialised (call init first) or was closed');
    return this.sessions;
  }

  private feedsFor(key: string, sig: GraphSignature, feeds: Readonly<Record<string, TensorData>>, lr: number | undefined): Record<string, ort.Tensor> {
    const where = `program '${key}'`;
    const out: Record<string, ort.Tensor> = {};
    const expected = new Set(sig.data.map((d) => d.name));
    for (const name of Object.keys(feeds)) if (!expected.has(name)) throw new Error(`${where}: unexpected feed '${name}' (data inputs: ${[...expected].join(', ') || 'none'})`);
    for (const d of sig.data) {
      const t = feeds[d.name];
      if (t === undefined) throw new Error(`${where}: missing feed '${d.name}' (${d.dtype} ${shapeStr(d.shape)})`);
      check(where, `feed '${d.name}'`, t, d.dtype, d.shape);
      out[d.name] = toOrt(t);
    }
    if (sig.lr !== undefined) {
      if (lr === undefined || !Number.isFinite(lr)) throw new Error(`${where}: a finite learning rate is required (got ${lr})`);
      out[sig.lr] = new ort.Tensor('float32', Float32Array.of(lr), []);
    }
    for (const s of sig.state) {
      const t = this.state.get(s.name);
      if (t === undefined) throw new Error(`${where}: state tensor '${s.name}' is not set (call setState with the compiled graph's initialState or a checkpoint)`);
      check(where, `state tensor '${s.name}'`, t, s.dtype, s.shape);
      out[s.name] = toOrt(t);
    }
    return out;
  }
}

function check(where: string, what: string, t: TensorData, dtype: string, shape: readonly number[]): void {
  if (t.dtype !== dtype || !sameShape(t.shape, shape)) throw new Error(`${where}: ${what} is ${t.dtype} ${shapeStr(t.shape)} but the graph expects ${dtype} ${shapeStr(shape)}`);
  if (t.data.length !== numel(t.shape)) throw new Error(`${where}: ${what} has ${t.data.length} values for shape ${shapeStr(t.shape)}`);
}

function fetchList(sig: GraphSignature): string[] {
  const f = new Set<string>();
  if (sig.loss !== undefined) f.add(sig.loss);
  if (sig.finite !== undefined) f.add(sig.finite);
  if (sig.gradNorm !== undefined) f.add(sig.gradNorm);
  for (const o of Object.values(sig.outputs)) f.add(o);
  for (const s of sig.state) if (s.next !== undefined) f.add(s.next);
  return [...f];
}
