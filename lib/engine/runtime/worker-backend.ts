/**
 * The executor in a worker thread (step-worker.js beside this file, resolved through
 * import.meta.url, so it must be the compiled .js). Requests are answered in order; the worker
 * is unref'd while idle, so a forgotten close() does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import type { TensorData } from '../ir/tensor.js';
import type { Backend } from './backend.js';
import { ProviderUnavailableError } from './errors.js';
import type { ExecutorOptions, RawRun } from './executor.js';
import type { TensorSpec } from './tensor-spec.js';
import type { Program } from './program.js';
import type { ProviderChoice } from './providers.js';
import { transferList } from './transfer.js';
import type { FromWorker, Request, ResultOf, WireError } from './worker-protocol.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class WorkerBackend implements Backend {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;
  private log: (msg: string) => void = () => undefined;

  constructor() {
    this.worker = new Worker(new URL('./step-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.fail(new Error(`step worker crashed: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`step worker exited (code ${code})`)));
  }

  init(opts: ExecutorOptions, log: (msg: string) => void): Promise<ProviderChoice> {
    this.log = log;
    return this.call({ type: 'init', options: opts });
  }

  addProgram(p: Program): Promise<void> {
    const model = p.model.slice();
    return this.call({ type: 'addProgram', program: { ...p, model } }, [model.buffer as ArrayBuffer]).then(() => undefined);
  }

  setState(entries: [string, TensorData][], transfer: boolean): Promise<void> {
    return this.call({ type: 'setState', tensors: entries }, transfer ? transferList(entries.map(([, v]) => v)) : []).then(() => undefined);
  }

  async getState(names?: string[]): Promise<Map<string, TensorData>> {
    const entries = await this.call({ type: 'getState', ...(names ? { names } : {}) });
    return new Map(entries);
  }

  async stateInfo(): Promise<Map<string, TensorSpec>> {
    return new Map(await this.call({ type: 'stateInfo' }));
  }

  run(key: string, feeds: Record<string, TensorData>, lr: number | undefined, transfer: boolean): Promise<RawRun> {
    return this.call({ type: 'run', key, feeds, ...(lr !== undefined ? { lr } : {}) }, transfer ? transferList(Object.values(feeds)) : []);
  }

  async close(): Promise<void> {
    if (this.dead) return;
    try {
      await this.call({ type: 'close' });
    } finally {
      this.dead = new Error('the runner is closed');
      await this.worker.terminate();
    }
  }

  private call<T extends Request>(req: T, transfer: ArrayBuffer[] = []): Promise<ResultOf[T['type']]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'log') {
      this.log(m.message);
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(rebuild(m.error));
  }

  private fail(e: Error): void {
    if (this.dead === undefined) this.dead = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

function rebuild(w: WireError): Error {
  if (w.name === 'ProviderUnavailableError' && w.provider !== undefined) return new ProviderUnavailableError(w.provider, w.reason ?? 'unknown reason');
  const e = new Error(w.message);
  e.name = w.name;
  if (w.stack) e.stack = `${w.name}: ${w.message}\n    [in step worker]\n${w.stack.split('\n').slice(1).join('\n')}`;
  return e;
}
